# The scheduled reconcile: Cloud Scheduler publishes the same ReconcileRequested message (from the generated data,
# validated against its contract) to reconcile-requested on reconcile_schedule, and reconcileEndpoints compares
# every endpoint with its applied release (docs/flux.md, "The scheduled reconcile"). Cloud Scheduler publishes as
# its service agent, whose role (roles/cloudscheduler.serviceAgent, granted by Google when the API is enabled)
# holds pubsub.topics.publish; modelgate grants it nothing.
resource "google_cloud_scheduler_job" "reconcile" {
  project     = var.project_id
  region      = var.region
  name        = "modelgate-reconcile"
  description = "Compares each Vertex AI endpoint with its model's applied release; reports or repairs drift."
  schedule    = var.reconcile_schedule
  time_zone   = var.reconcile_time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.topic[local.data.reconcile_schedule.topic].id
    data       = base64encode(local.data.reconcile_schedule.data)
  }

  depends_on = [google_project_service.api]
}
