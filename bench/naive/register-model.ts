// Naive registerModel: @google-cloud/aiplatform required at the top, its clients constructed eagerly (see eager.ts).
import { registerModelStep } from "../../functions/register-model/step.js";
import { registerNaiveStep } from "./eager.js";

registerNaiveStep(registerModelStep, (ports) => ({ registry: ports.registry }));
