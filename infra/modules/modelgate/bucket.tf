# The artifact bucket. The ledger must outlive everything else, but a bucket retention policy (or a default
# event-based hold) applies to every object in the bucket and would also freeze the step claims under
# idempotency/, which are released and taken over in place. So the ledger is protected by:
#   1. IAM: no identity is ever granted storage.objects.delete (or update) on ledger/, and overwriting needs
#      delete, so records are create-only; the custom roles hold exactly the table's permissions.
#   2. Lifecycle: rules delete only under idempotency/ and deliveries/; nothing ever matches ledger/.
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

  lifecycle_rule {
    condition {
      age            = 30
      matches_prefix = ["deliveries/"]
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

# Function source archives live apart from the artifact bucket, whose grants are all prefix-scoped.
resource "google_storage_bucket" "sources" {
  project                     = var.project_id
  name                        = "${var.bucket_name}-sources"
  location                    = upper(var.region)
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
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
