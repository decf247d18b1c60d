terraform {
  required_version = ">= 1.5.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.50.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "6.50.0"
    }
  }

  # Keep state in a bucket of its own (never the artifact bucket), for example:
  # backend "gcs" {
  #   bucket = "my-project-tfstate"
  #   prefix = "modelgate/example"
  # }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}
