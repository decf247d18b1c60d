locals {
  bundle_dir = "${path.root}/../../../dist/functions"
}

module "modelgate" {
  source = "../../modules/modelgate"

  project_id                      = var.project_id
  region                          = var.region
  bucket_name                     = var.bucket_name
  function_bundles                = jsondecode(file("${local.bundle_dir}/manifest.json"))
  bundle_dir                      = local.bundle_dir
  github_repositories             = var.github_repositories
  webhook_invoker_members         = var.webhook_invoker_members
  gke_project_id                  = var.gke_project_id
  tekton_pipeline_namespace       = var.tekton_pipeline_namespace
  tekton_pipeline_service_account = var.tekton_pipeline_service_account
}
