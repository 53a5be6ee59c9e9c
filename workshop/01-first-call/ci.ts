// The CI test's token-validation for exercise 01 (a learner's is `pnpm dev`'s on 8788): one on a
// free port with fresh state, and the variables that point the check and solve at it.
import { Stage } from "../../rehearse/lib/stage.ts";
import { ADMIN_SECRET } from "../lib/apps.ts";
import type { CiSetup } from "../lib/exercise.ts";

const setup: CiSetup = async () => {
  const stage = new Stage();
  const tv = await stage.start("token-validation", { AUTH_METHODS: "api_key" });
  return {
    env: {
      WORKSHOP_TV_URL: tv.origin,
      WORKSHOP_TV_STATE: tv.stateDir,
      NOTES_ADMIN_SECRET: ADMIN_SECRET["token-validation"],
    },
    stop: () => stage.close(),
  };
};

export default setup;
