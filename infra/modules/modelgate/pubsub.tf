resource "google_pubsub_topic" "topic" {
  for_each = local.data.topics

  project = var.project_id
  name    = each.key

  depends_on = [google_project_service.api]
}

resource "google_pubsub_topic" "dead_letter" {
  for_each = local.data.topics

  project = var.project_id
  name    = each.value.dead_letter_topic

  depends_on = [google_project_service.api]
}

# A topic's consumer is triggered by this push subscription (not an Eventarc-made one) so that the dead-letter
# policy, the backoff and the ack deadline are exactly shared/topology.ts's. The consumer is an HTTP function that
# reads Pub/Sub's push envelope itself, deliveryAttempt included (docs/pubsub-push.md), so it takes the push at its
# root URL.
resource "google_pubsub_subscription" "trigger" {
  for_each = local.data.topics

  project              = var.project_id
  name                 = each.value.subscription
  topic                = google_pubsub_topic.topic[each.key].id
  ack_deadline_seconds = local.data.delivery_policy.ack_deadline_seconds

  push_config {
    push_endpoint = google_cloudfunctions2_function.function[each.value.consumer].service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.trigger[each.value.consumer].email
      audience              = google_cloudfunctions2_function.function[each.value.consumer].service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = local.data.delivery_policy.minimum_backoff
    maximum_backoff = local.data.delivery_policy.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = local.data.delivery_policy.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }
}

# Holds dead letters until `modelgate replay` moves them back; nothing consumes it automatically.
resource "google_pubsub_subscription" "dead_letter_hold" {
  for_each = local.data.topics

  project                    = var.project_id
  name                       = each.value.dead_letter_subscription
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}

# Dead-lettering: Pub/Sub's service agent must publish to the dead-letter topic and acknowledge on the source.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.data.topics

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[each.key].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each = local.data.topics

  project      = var.project_id
  subscription = google_pubsub_subscription.trigger[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}
