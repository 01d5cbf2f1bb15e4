package dev.slacktokens.operator.reconciler;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.TokenPair;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * The test's refresher (a test alternative of {@link TokenRefresher}, through its two seams): make the next refresh
 * "crash" right after
 * Slack answered and keep refreshes stopped until released (a dead leader), or fail the next store writes of a
 * refreshed pair as an unavailable API server would. Inert until armed.
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class RefreshFaultHook extends TokenRefresher {

    /** What a crash looks like to the reconciler: the refresh result is lost. */
    public static final class SimulatedCrash extends RuntimeException {
        SimulatedCrash() {
            super("simulated crash after Slack answered a refresh (test fault hook)", null, false, false);
        }
    }

    private final AtomicBoolean crashNext = new AtomicBoolean();
    private final AtomicBoolean halted = new AtomicBoolean();
    private final AtomicInteger failPersists = new AtomicInteger();
    private final AtomicInteger failedPersists = new AtomicInteger();

    /** Arms a crash of the next refresh after Slack's answer. */
    public void crashNextRefresh() {
        crashNext.set(true);
    }

    /** The next {@code n} writes of a refreshed pair fail with HTTP 500. */
    public void failNextPersists(int n) {
        failPersists.set(n);
    }

    /** How many writes of a refreshed pair were failed so far. */
    public int failedPersists() {
        return failedPersists.get();
    }

    /** Lets refreshes run again (the "next leader" starts) and disarms every fault. */
    public void release() {
        halted.set(false);
        crashNext.set(false);
        failPersists.set(0);
    }

    /** While halted (a dead leader), the controller's refreshes wait; {@link #resume} (the next leader) runs. */
    @Override
    public RefreshOutcome refresh(SlackUserConnection connection, StoreState state, TokenPair pair, ClientCredentials app,
            Optional<String> manualRequest) {
        return halted.get() ? new RefreshOutcome.Queued(RefreshPolicy.MIN_WAIT)
                : super.refresh(connection, state, pair, app, manualRequest);
    }

    @Override
    protected void afterSlackAnswered() {
        if (crashNext.compareAndSet(true, false)) {
            halted.set(true);
            throw new SimulatedCrash();
        }
    }

    @Override
    protected void beforePersist() {
        if (failPersists.getAndUpdate(n -> Math.max(n - 1, 0)) > 0) {
            failedPersists.incrementAndGet();
            throw new KubernetesClientException("simulated API server failure (test fault hook)", 500, null);
        }
    }
}
