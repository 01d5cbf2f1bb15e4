package dev.slacktokens.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionStatus;

class ReadyConditionTest {

    final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    final Instant t1 = Instant.parse("2026-01-01T01:00:00Z");
    final Instant t2 = Instant.parse("2026-01-01T02:00:00Z");

    @Test
    void lastTransitionTimeMovesOnlyWhenStatusFlips() {
        SlackUserConnectionStatus status = new SlackUserConnectionStatus();
        assertThat(ReadyCondition.set(status, false, Reason.AwaitingAuthorization, "wait", 1L, t0)).isNull();
        assertThat(ReadyCondition.get(status).orElseThrow().getLastTransitionTime()).isEqualTo(t0.toString());

        // same status, other reason: the reason and message change, the transition time does not
        assertThat(ReadyCondition.set(status, false, Reason.InvalidSpec, "bad", 2L, t1))
                .isEqualTo("AwaitingAuthorization");
        var c = ReadyCondition.get(status).orElseThrow();
        assertThat(c.getLastTransitionTime()).isEqualTo(t0.toString());
        assertThat(c.getReason()).isEqualTo("InvalidSpec");
        assertThat(c.getMessage()).isEqualTo("bad");
        assertThat(c.getObservedGeneration()).isEqualTo(2L);

        ReadyCondition.set(status, true, Reason.Authorized, "ok", 2L, t2);
        assertThat(ReadyCondition.get(status).orElseThrow().getLastTransitionTime()).isEqualTo(t2.toString());
        assertThat(status.getConditions()).hasSize(1);
    }
}
