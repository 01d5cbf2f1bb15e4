package dev.slacktokens.operator.reconciler;

import dev.slacktokens.operator.slack.SlackApiException;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * What a failed pass says in status and Events: our own exceptions' messages (written without tokens), the API
 * server's HTTP code and reason, or just the exception type. Never a foreign exception's message, which could quote
 * a request body.
 */
final class ReconcileErrors {

    private ReconcileErrors() {
    }

    static String describe(Throwable thrown) {
        // JOSDK wraps what the reconciler threw; look for the first cause we know how to describe.
        Throwable e = thrown;
        for (Throwable c = thrown; c != null && c.getCause() != c; c = c.getCause()) {
            if (c instanceof TokenRefresher.StoreWriteFailedException || c instanceof SlackApiException
                    || c instanceof KubernetesClientException) {
                e = c;
                break;
            }
        }
        if (e instanceof TokenRefresher.StoreWriteFailedException || e instanceof SlackApiException) {
            return e.getMessage();
        }
        if (e instanceof KubernetesClientException k) {
            String reason = k.getStatus() == null || k.getStatus().getReason() == null ? ""
                    : " " + k.getStatus().getReason();
            return k.getCode() > 0 ? "the API server answered HTTP " + k.getCode() + reason
                    : "the API server could not be reached";
        }
        return e.getClass().getSimpleName();
    }
}
