package dev.slacktokens.operator.reconciler;

import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;

import dev.slacktokens.operator.config.OperatorConfig;

/**
 * A test-only fault: make the next refresh "crash" right after Slack answered and before the store is written, and
 * keep refreshes stopped (as if the process were dead) until released. Inert unless
 * {@code slack-operator.test-fault-hooks=true}.
 */
@ApplicationScoped
public class RefreshFaultHook {

    /** What a crash looks like to the reconciler: the refresh result is lost. */
    public static final class SimulatedCrash extends RuntimeException {
        SimulatedCrash() {
            super("simulated crash after Slack answered a refresh (test fault hook)", null, false, false);
        }
    }

    private final boolean enabled;
    private final AtomicBoolean crashNext = new AtomicBoolean();
    private final AtomicBoolean halted = new AtomicBoolean();

    RefreshFaultHook(OperatorConfig config) {
        this.enabled = config.testFaultHooks();
    }

    /** Arms a crash of the next refresh after Slack's answer. */
    public void crashNextRefresh() {
        if (!enabled) {
            throw new IllegalStateException("test fault hooks are disabled");
        }
        crashNext.set(true);
    }

    /** Lets refreshes run again (the "next leader" starts). */
    public void release() {
        halted.set(false);
    }

    boolean halted() {
        return enabled && halted.get();
    }

    void afterSlackAnswered() {
        if (enabled && crashNext.compareAndSet(true, false)) {
            halted.set(true);
            throw new SimulatedCrash();
        }
    }
}
