package dev.slacktokens.operator.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.testing.TestClock;

class StateCodecTest {

    final byte[] key = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    final TestClock clock = TestClock.fixedAt(Instant.parse("2026-05-01T10:00:00Z"));
    final StateCodec codec = new StateCodec(key, clock);

    @Test
    void stateRoundTripsAndIsUrlSafe() throws Exception {
        StateCodec.Claims state = codec.newState("team-a", "alice", "uid-1", 0);
        String signed = codec.sign(state);
        assertThat(signed).matches("[A-Za-z0-9_.-]+");
        StateCodec.Claims back = codec.verify(signed, StateCodec.Kind.state);
        assertThat(back).isEqualTo(state);
        assertThat(back.expiresAt()).isEqualTo(Instant.parse("2026-05-01T10:10:00Z"));
        assertThat(codec.newState("team-a", "alice", "uid-1", 0).nonce()).as("fresh nonce each time")
                .isNotEqualTo(state.nonce());
    }

    @Test
    void stateExpiresAfterTenMinutes() throws Exception {
        String signed = codec.sign(codec.newState("ns", "n", "u", 0));
        clock.advance(Duration.ofMinutes(9).plusSeconds(59));
        codec.verify(signed, StateCodec.Kind.state);
        clock.advance(Duration.ofSeconds(1));
        assertProblem(signed, StateCodec.Kind.state, StateCodec.Problem.EXPIRED);
    }

    @Test
    void tamperingIsDetected() {
        String signed = codec.sign(codec.newState("ns", "n", "u", 0));
        String payload = signed.substring(0, signed.indexOf('.'));
        String mac = signed.substring(signed.indexOf('.') + 1);
        String otherPayload = codec.sign(codec.newState("ns", "victim", "u", 0));
        assertProblem(otherPayload.substring(0, otherPayload.indexOf('.')) + "." + mac, StateCodec.Kind.state,
                StateCodec.Problem.BAD_SIGNATURE);
        assertProblem(payload + "." + mac.substring(1) + "A", StateCodec.Kind.state, StateCodec.Problem.BAD_SIGNATURE);
        assertProblem(payload, StateCodec.Kind.state, StateCodec.Problem.MALFORMED);
        assertProblem("a.b.c", StateCodec.Kind.state, StateCodec.Problem.MALFORMED);
        assertProblem(null, StateCodec.Kind.state, StateCodec.Problem.MALFORMED);
        byte[] otherKey = Arrays.copyOf(key, key.length);
        otherKey[0] ^= 1;
        assertProblem(new StateCodec(otherKey, clock).sign(codec.newState("ns", "n", "u", 0)),
                StateCodec.Kind.state, StateCodec.Problem.BAD_SIGNATURE);
    }

    @Test
    void linksAndStatesCarryTheAuthorizationTheyAreFor() throws Exception {
        assertThat(codec.verify(codec.signLink("ns", "n", "u", 3, Duration.ofDays(7)), StateCodec.Kind.link)
                .generation()).isEqualTo(3);
        assertThat(codec.verify(codec.sign(codec.newState("ns", "n", "u", 3)), StateCodec.Kind.state).generation())
                .isEqualTo(3);
    }

    @Test
    void aLinkIsNotAState() throws Exception {
        String link = codec.signLink("ns", "n", "u", 0, Duration.ofDays(7));
        assertThat(codec.verify(link, StateCodec.Kind.link).uid()).isEqualTo("u");
        assertProblem(link, StateCodec.Kind.state, StateCodec.Problem.WRONG_KIND);
        clock.advance(Duration.ofDays(7));
        assertProblem(link, StateCodec.Kind.link, StateCodec.Problem.EXPIRED);
    }

    @Test
    void pkceVerifierIsDerivedAndItsChallengeIsS256() {
        String verifier = codec.pkceVerifier("nonce-1");
        assertThat(verifier).hasSizeGreaterThanOrEqualTo(43).matches("[A-Za-z0-9_-]+")
                .isEqualTo(codec.pkceVerifier("nonce-1")).isNotEqualTo(codec.pkceVerifier("nonce-2"));
        assertThat(StateCodec.pkceChallenge("secretpassword")).isEqualTo("ldMBaaWcQYtSATMV_IG8mf3wp7A6EW80arYoSW80ntU");
    }

    @Test
    void cookieBindsTheNonceWithoutRevealingIt() {
        String cookie = codec.cookieValue("nonce-1");
        assertThat(cookie).doesNotContain("nonce-1");
        assertThat(codec.cookieMatches(cookie, "nonce-1")).isTrue();
        assertThat(codec.cookieMatches(cookie, "nonce-2")).isFalse();
        assertThat(codec.cookieMatches(null, "nonce-1")).isFalse();
    }

    @Test
    void shortKeysAreRefused() {
        assertThatThrownBy(() -> new StateCodec(new byte[16], clock)).hasMessageContaining("256 bits");
    }

    private void assertProblem(String signed, StateCodec.Kind kind, StateCodec.Problem problem) {
        var e = catchThrowableOfType(StateCodec.InvalidException.class, () -> codec.verify(signed, kind));
        assertThat(e).isNotNull();
        assertThat(e.problem()).isEqualTo(problem);
    }
}
