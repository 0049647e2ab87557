/**
 * The ValidatingWebhookConfiguration of `virtkit api`'s admission webhooks. It is built in
 * api/install/webhook-configuration.ts, beside the rest of cluster mode's install (pure, and
 * api/ imports nothing outside itself); the api server's routes and local mode take its paths
 * and names from here.
 */
export {
  POD_EVICTION_PATH,
  POD_EVICTION_WEBHOOK_NAME,
  VALIDATE_PATH,
  WEBHOOK_CONFIGURATION_NAME,
  webhookConfiguration,
  type WebhookTarget,
} from '../../api/install/webhook-configuration';
