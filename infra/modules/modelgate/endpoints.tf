# One Vertex AI endpoint per `endpoint:` of modelgate.config.yaml, with the configured value as its id (`name`),
# so the endpoint deployModel resolves (projects/P/locations/R/endpoints/ID) exists before the first promotion.
# Which models it serves and how traffic is split is modelgate's to change, never Terraform's.
resource "google_vertex_ai_endpoint" "endpoint" {
  for_each = local.data.endpoints

  project      = var.project_id
  location     = var.region
  name         = each.key
  display_name = each.value.display_name
  description  = "modelgate endpoint for ${join(", ", each.value.models)}; deployments and traffic are managed by modelgate."

  lifecycle {
    ignore_changes = [traffic_split]
  }

  depends_on = [google_project_service.api]
}
