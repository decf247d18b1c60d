import { invalidArgument } from "./status-error.js";

/** A parsed `projects/{project}/{collection}/{id}` name. */
export interface ResourceName {
  project: string;
  id: string;
  name: string;
}

// Pub/Sub's naming rules for topic and subscription ids: start with a letter, 3–255 characters of
// letters, digits and - . _ ~ % +, and never start with "goog" (reserved for Google).
const idPattern = /^[A-Za-z][A-Za-z0-9\-._~%+]{2,254}$/;
// Project ids are 6–30 lowercase characters in production; emulators and tests routinely use other
// ids, so accept what the client library would send in a path segment.
const projectPattern = /^[A-Za-z0-9][A-Za-z0-9\-._:]{0,99}$/;

/** Whether `id` is a valid topic or subscription id under Pub/Sub's naming rules. */
export function isValidResourceId(id: string): boolean {
  return idPattern.test(id) && !id.toLowerCase().startsWith("goog");
}

function parse(name: string, collection: "topics" | "subscriptions"): ResourceName {
  const parts = name.split("/");
  const [projects, project, coll, id] = parts;
  if (
    parts.length !== 4 ||
    projects !== "projects" ||
    coll !== collection ||
    project === undefined ||
    id === undefined ||
    !projectPattern.test(project) ||
    !isValidResourceId(id)
  ) {
    throw invalidArgument(`Invalid [${collection}] name: (name=${name})`);
  }
  return { project, id, name };
}

/** Parses `projects/{project}/topics/{topic}`; INVALID_ARGUMENT when the name breaks the rules. */
export function parseTopicName(name: string): ResourceName {
  return parse(name, "topics");
}

/** Parses `projects/{project}/subscriptions/{subscription}`; INVALID_ARGUMENT when the name breaks the rules. */
export function parseSubscriptionName(name: string): ResourceName {
  return parse(name, "subscriptions");
}

/** Parses `projects/{project}`; INVALID_ARGUMENT otherwise. */
export function parseProjectName(name: string): string {
  const match = /^projects\/([^/]+)$/.exec(name);
  const project = match?.[1];
  if (project === undefined || !projectPattern.test(project)) {
    throw invalidArgument(`Invalid [projects] name: (name=${name})`);
  }
  return project;
}

/** The name the real service gives a subscription's topic after the topic is deleted. */
export const deletedTopicName = "_deleted-topic_";
