// The floor for cold start and throughput: a Functions Framework HTTP function that only answers 200.
import { http } from "@google-cloud/functions-framework";

http("bare", (_req, res) => {
  res.status(200).send("ok");
});
