# The artifact bucket. The ledger must outlive everything else, but a bucket retention policy (or a default
# event-based hold) applies to every object in the bucket and would also freeze the step claims under
# idempotency/, which are released and taken over in place. So the ledger is protected by:
#   1. IAM: no identity is ever granted storage.objects.delete (or update) on ledger/, and overwriting needs
#      delete, so records are create-only; the custom roles hold exactly the table's permissions.
#   2. Lifecycle: the one rule deletes only under idempotency/; nothing ever matches ledger/.
#   3. Soft delete: an object deleted by a human stays restorable for ledger_soft_delete_days.
# For a hard WORM guarantee, move the ledger to its own bucket with a locked retention policy (see docs).
resource "google_storage_bucket" "artifacts" {
  project                     = var.project_id
  name                        = var.bucket_name
  location                    = upper(var.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  soft_delete_policy {
    retention_duration_seconds = var.ledger_soft_delete_days * 86400
  }

  lifecycle_rule {
    condition {
      age            = var.claim_expiry_days
      matches_prefix = ["idempotency/"]
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]

  lifecycle {
    precondition {
      condition     = local.data.config.project == var.project_id && local.data.config.region == var.region && local.data.config.bucket == var.bucket_name
      error_message = "modelgate.generated.json was generated from a modelgate.config.yaml for project ${local.data.config.project}, region ${local.data.config.region}, bucket ${local.data.config.bucket}: set the configuration's project, region and bucket to this deployment's, then `npm run build` and `npm run generate:infra`."
    }
  }
}

locals {
  # `<bucket>-sources` while that fits in a bucket name's 63 characters; a longer bucket name is cut to 46
  # characters (dots made dashes, trailing dashes dropped) and kept unique by 8 hex digits of its hash.
  sources_bucket_name = length(var.bucket_name) <= 55 ? "${var.bucket_name}-sources" : "${replace(substr(replace(var.bucket_name, ".", "-"), 0, 46), "/-+$/", "")}-${substr(sha256(var.bucket_name), 0, 8)}-src"
}

# Function source archives live apart from the artifact bucket, whose grants are all prefix-scoped.
resource "google_storage_bucket" "sources" {
  project                     = var.project_id
  name                        = local.sources_bucket_name
  location                    = upper(var.region)
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  depends_on = [google_project_service.api]
}

# Named by content hash, so a changed bundle is a new object and the function redeploys.
resource "google_storage_bucket_object" "bundle" {
  for_each = local.data.functions

  bucket = google_storage_bucket.sources.name
  name   = "${each.value.name}-${substr(var.function_bundles[each.key].sha256, 0, 12)}.zip"
  source = "${var.bundle_dir}/${var.function_bundles[each.key].zip}"

  lifecycle {
    precondition {
      condition     = var.function_bundles[each.key].sha256 == filesha256("${var.bundle_dir}/${var.function_bundles[each.key].zip}")
      error_message = "The bundle's sha256 differs from the manifest; run `npm run build` again."
    }
  }
}
