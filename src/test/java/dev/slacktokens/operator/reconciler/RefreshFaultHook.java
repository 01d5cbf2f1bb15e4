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
 * The test's refresher (a test alternative of {@link TokenRefresher}, through its seams): make the next refresh
 * "crash" right after Slack answered and keep refreshes stopped until released (a dead leader), fail the next store
 * writes of a refreshed pair as an unavailable API server would, or lose the answer of a write that landed and then
 * refuse the store's writes and reads. Inert until armed.
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
    private final AtomicBoolean loseNextAnswer = new AtomicBoolean();
    private final AtomicBoolean storeDown = new AtomicBoolean();
    private final AtomicInteger lostAnswers = new AtomicInteger();

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

    /**
     * The next write of a refreshed pair lands, but its answer is lost; from then on the token store can be neither
     * written nor read (an API server outage) until {@link #release}.
     */
    public void loseNextWriteAnswerThenStoreOutage() {
        loseNextAnswer.set(true);
    }

    /** How many answers of landed writes were lost so far. */
    public int lostAnswers() {
        return lostAnswers.get();
    }

    /** Lets refreshes run again (the "next leader" starts) and disarms every fault. */
    public void release() {
        halted.set(false);
        crashNext.set(false);
        failPersists.set(0);
        loseNextAnswer.set(false);
        storeDown.set(false);
        failedPersists.set(0);
        lostAnswers.set(0);
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
    protected void afterStoreWrite() {
        if (loseNextAnswer.compareAndSet(true, false)) {
            lostAnswers.incrementAndGet();
            storeDown.set(true);
            throw new KubernetesClientException("simulated lost answer of a write that landed (test fault hook)");
        }
    }

    @Override
    protected Optional<StoreState> readBack(String connectionUid) {
        if (storeDown.get()) {
            throw new KubernetesClientException("simulated API server outage: read refused (test fault hook)", 503,
                    null);
        }
        return super.readBack(connectionUid);
    }

    @Override
    protected void beforePersist() {
        if (storeDown.get()) {
            failedPersists.incrementAndGet();
            throw new KubernetesClientException("simulated API server outage (test fault hook)", 503, null);
        }
        if (failPersists.getAndUpdate(n -> Math.max(n - 1, 0)) > 0) {
            failedPersists.incrementAndGet();
            throw new KubernetesClientException("simulated API server failure (test fault hook)", 500, null);
        }
    }
}
