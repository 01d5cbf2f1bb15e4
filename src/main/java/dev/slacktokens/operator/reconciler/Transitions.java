package dev.slacktokens.operator.reconciler;

import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.Condition;
import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionStatus;
import dev.slacktokens.operator.config.OperatorMetrics;
import dev.slacktokens.operator.connection.EventRecorder;

/**
 * What a new status tells the outside: an Event when the Ready reason changes, Warning for every failure
 * ({@link #warning}); and the connection's metrics. A routine refresh (Refreshed after Refreshed) gets no Event: it
 * shows in the status ({@code lastRefreshTime}, {@code expiresAt}) and in {@code slack_token_refreshes_total}, and an
 * Event each would be one more API server write per refresh (docs/benchmarks.md). The first refresh after the
 * consent, and the first after a failure, change the reason, so they are told.
 */
@ApplicationScoped
class Transitions {

    @Inject
    EventRecorder events;
    @Inject
    OperatorMetrics metrics;

    /** Call before the new status replaces the connection's current one. */
    void record(SlackUserConnection c, SlackUserConnectionStatus next) {
        String previous = ReadyCondition.get(c.getStatus()).map(x -> x.getReason()).orElse(null);
        ReadyCondition.get(next).ifPresent(now -> {
            Reason reason = Reason.valueOf(now.getReason());
            if (!now.getReason().equals(previous)) {
                if (warning(now)) {
                    events.warning(c, reason, now.getMessage());
                } else {
                    events.normal(c, reason, now.getMessage());
                }
            }
            metrics.connection(c.getMetadata().getNamespace(), c.getMetadata().getName(), reason,
                    next.getExpiresAt() == null ? null : (double) Instant.parse(next.getExpiresAt()).getEpochSecond());
        });
    }

    /**
     * Whether a Ready condition is told with a Warning Event (else Normal): every failure, also while the token still
     * works (a refresh failing before expiry is what an operator wants to hear about in time).
     */
    static boolean warning(Condition ready) {
        Reason reason = Reason.valueOf(ready.getReason());
        return reason != Reason.AwaitingAuthorization && reason != Reason.Authorized && reason != Reason.Refreshed;
    }

    void forget(SlackUserConnection c) {
        metrics.forget(c.getMetadata().getNamespace(), c.getMetadata().getName());
    }
}
