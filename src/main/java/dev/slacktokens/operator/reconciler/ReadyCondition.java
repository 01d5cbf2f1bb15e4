package dev.slacktokens.operator.reconciler;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.slacktokens.operator.api.v1alpha1.Condition;
import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionStatus;

/** The Ready condition: set it, and move lastTransitionTime only when its status flips. */
public final class ReadyCondition {

    public static final String TYPE = "Ready";

    private ReadyCondition() {
    }

    public static Optional<Condition> get(SlackUserConnectionStatus status) {
        if (status == null || status.getConditions() == null) {
            return Optional.empty();
        }
        return status.getConditions().stream().filter(c -> TYPE.equals(c.getType())).findFirst();
    }

    /** Sets Ready on {@code status}; returns the previous reason (or null). */
    public static String set(SlackUserConnectionStatus status, boolean ready, Reason reason, String message,
            Long generation, Instant now) {
        Optional<Condition> previous = get(status);
        String newStatus = ready ? "True" : "False";
        Condition next = new Condition();
        next.setType(TYPE);
        next.setStatus(newStatus);
        next.setReason(reason.name());
        next.setMessage(message);
        next.setObservedGeneration(generation);
        next.setLastTransitionTime(previous.filter(p -> newStatus.equals(p.getStatus()))
                .map(Condition::getLastTransitionTime).orElse(now.toString()));
        List<Condition> conditions = new ArrayList<>();
        if (status.getConditions() != null) {
            status.getConditions().stream().filter(c -> !TYPE.equals(c.getType())).forEach(conditions::add);
        }
        conditions.add(next);
        status.setConditions(conditions);
        return previous.map(Condition::getReason).orElse(null);
    }
}
