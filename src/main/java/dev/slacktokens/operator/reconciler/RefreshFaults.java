package dev.slacktokens.operator.reconciler;

/**
 * The points of a refresh where a test injects faults (a crash after Slack answered, a failing store write, a dead
 * process). Production has none: {@link #NONE}, produced by
 * {@link RefreshFaultsProducer}; tests replace the bean.
 */
public interface RefreshFaults {

    RefreshFaults NONE = new RefreshFaults() {
    };

    /** Slack answered a refresh and the new pair is not persisted yet. */
    default void afterSlackAnswered() {
    }

    /** About to write a refreshed pair to the token store (may throw as the API server would). */
    default void beforePersist() {
    }

    /** Whether refreshes must not run at all (as if this process were dead). */
    default boolean halted() {
        return false;
    }
}
