package dev.slacktokens.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.slacktokens.operator.api.v1alpha1.Condition;
import dev.slacktokens.operator.api.v1alpha1.Reason;

/**
 * Which Ready conditions are told with a Warning Event: every failure, whether or not the token still works (a
 * failing refresh while the token is valid is exactly what an operator wants to be warned of), and never the
 * healthy states or the wait for a first consent.
 */
class TransitionsTest {

    static Stream<Arguments> conditions() {
        return Stream.of(
                Arguments.of(Reason.AwaitingAuthorization, "False", false),
                Arguments.of(Reason.Authorized, "True", false),
                Arguments.of(Reason.Refreshed, "True", false),
                Arguments.of(Reason.RefreshRetrying, "True", true),
                Arguments.of(Reason.RefreshRetrying, "False", true),
                Arguments.of(Reason.ReconcileError, "True", true),
                Arguments.of(Reason.ReconcileError, "False", true),
                Arguments.of(Reason.ReauthorizationRequired, "False", true),
                Arguments.of(Reason.InvalidSpec, "False", true),
                Arguments.of(Reason.InvalidClient, "False", true),
                Arguments.of(Reason.IdentityMismatch, "False", true),
                Arguments.of(Reason.MissingScopes, "False", true),
                Arguments.of(Reason.Revoked, "False", true));
    }

    @ParameterizedTest(name = "{0} (Ready={1}): warning={2}")
    @MethodSource("conditions")
    void failuresAreWarnings(Reason reason, String status, boolean warning) {
        Condition ready = new Condition();
        ready.setType(ReadyCondition.TYPE);
        ready.setStatus(status);
        ready.setReason(reason.name());
        assertThat(Transitions.warning(ready)).isEqualTo(warning);
    }
}
