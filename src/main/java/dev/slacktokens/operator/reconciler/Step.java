package dev.slacktokens.operator.reconciler;

import java.time.Duration;

import dev.slacktokens.operator.api.v1alpha1.Reason;

/**
 * The outcome of one reconciliation: the Ready condition to set, when to look again (null: only on events), and
 * whether a refresh happened in this pass (each refresh gets its Event).
 */
record Step(boolean ready, Reason reason, String message, Duration requeue, boolean refreshedNow) {

    Step(boolean ready, Reason reason, String message, Duration requeue) {
        this(ready, reason, message, requeue, false);
    }
}
