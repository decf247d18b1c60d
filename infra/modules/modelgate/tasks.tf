# The Cloud Tasks queue a rollout step waits out its bake on (docs/rollout-steps.md): rolloutModel creates a task
# scheduled for the end of the bake; the task calls advanceRollout with an OIDC token of the rolloutTasks account,
# the only account that may invoke it. Generated from shared/topology.ts (rolloutQueue) and shared/permissions.ts.
locals {
  # A gen2 function also answers at its cloudfunctions.net address, which is known before the function exists.
  tasks_target_url = "https://${var.region}-${var.project_id}.cloudfunctions.net/${local.data.functions[local.data.tasks_target].name}"
}

resource "google_cloud_tasks_queue" "queue" {
  for_each = local.data.queues

  project  = var.project_id
  location = var.region
  name     = each.value.id

  retry_config {
    max_attempts  = each.value.max_attempts
    min_backoff   = each.value.min_backoff
    max_backoff   = each.value.max_backoff
    max_doublings = each.value.max_doublings
  }

  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.api]
}

# cloudtasks.tasks.create on the queue only, through a custom role with exactly that permission.
resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = local.data.queue_grants

  project  = var.project_id
  location = var.region
  name     = google_cloud_tasks_queue.queue[each.value.queue].name
  role     = google_project_iam_custom_role.modelgate[each.value.role].id
  member   = "serviceAccount:${google_service_account.identity[each.value.identity].email}"
}

# A function invoked by tasks (advanceRollout) only by the queue's OIDC identity.
resource "google_cloud_run_service_iam_member" "tasks_invoker" {
  for_each = local.data.tasks_functions

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.identity[each.value.identity].email}"
}
