package dev.slacktokens.operator.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.connection.StateCodec.InvalidException;
import dev.slacktokens.operator.connection.StateCodec.Kind;
import dev.slacktokens.operator.connection.StateCodec.Problem;
import dev.slacktokens.operator.testing.Fuzz;
import dev.slacktokens.operator.testing.TestClock;

/**
 * Properties of the OAuth state codec over generated input: whatever string arrives, {@code verify} either returns
 * the claims it signed or throws {@link InvalidException} with a specific problem, never another exception.
 */
class StateCodecPropertiesTest {

    static final Instant NOW = Instant.parse("2026-05-01T10:00:00Z");
    static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    final TestClock clock = TestClock.fixedAt(NOW);
    final StateCodec codec = new StateCodec(KEY, clock);

    record Names(String namespace, String name, String uid) {
    }

    static Names names(SplittableRandom r) {
        return new Names("n" + Fuzz.text(r, 62), "n" + Fuzz.text(r, 252), "u" + Fuzz.text(r, 35));
    }

    @Test
    void anyStateOrLinkRoundTrips() {
        Fuzz.forAll("round trip", 500, StateCodecPropertiesTest::names, n -> {
            StateCodec.Claims state = codec.newState(n.namespace(), n.name(), n.uid(), 0);
            String signed = codec.sign(state);
            assertThat(signed).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
            assertThat(verify(signed, Kind.state)).isEqualTo(state);
            String link = codec.signLink(n.namespace(), n.name(), n.uid(), 0, Duration.ofDays(7));
            StateCodec.Claims claims = verify(link, Kind.link);
            assertThat(List.of(claims.namespace(), claims.name(), claims.uid()))
                    .containsExactly(n.namespace(), n.name(), n.uid());
        });
    }

    @Test
    void anyMutationOfASignedStateOrLinkIsRefused() {
        Fuzz.forAll("mutated state or link", 3000, r -> {
            Names n = names(r);
            String signed = r.nextBoolean() ? codec.sign(codec.newState(n.namespace(), n.name(), n.uid(), 0))
                    : codec.signLink(n.namespace(), n.name(), n.uid(), 0, Duration.ofDays(7));
            return Fuzz.mutate(r, signed);
        }, mutated -> {
            assertRefused(mutated, Kind.state, Problem.MALFORMED, Problem.BAD_SIGNATURE, Problem.WRONG_KIND);
            assertRefused(mutated, Kind.link, Problem.MALFORMED, Problem.BAD_SIGNATURE, Problem.WRONG_KIND);
        });
    }

    @Test
    void anyRandomStringIsRefused() {
        Fuzz.forAll("random string", 3000, r -> switch (r.nextInt(4)) {
            case 0 -> Fuzz.text(r, 200);
            case 1 -> Fuzz.base64Garbage(r);
            case 2 -> Fuzz.jsonishSigned(r);
            default -> Fuzz.text(r, 40) + "." + Fuzz.text(r, 60);
        }, s -> assertRefused(s, Kind.state, Problem.MALFORMED, Problem.BAD_SIGNATURE));
    }

    @Test
    void truncationsAndOverlongStringsAreRefused() {
        String signed = codec.sign(codec.newState("ns", "name", "uid", 0));
        for (int i = 0; i < signed.length(); i++) {
            assertRefused(signed.substring(0, i), Kind.state, Problem.MALFORMED, Problem.BAD_SIGNATURE);
            assertRefused(signed.substring(i + 1), Kind.state, Problem.MALFORMED, Problem.BAD_SIGNATURE);
        }
        assertRefused(signed + "A".repeat(5000), Kind.state, Problem.MALFORMED);
        assertRefused("", Kind.state, Problem.MALFORMED);
        assertRefused(null, Kind.link, Problem.MALFORMED);
    }

    @Test
    void anotherKeysSignatureIsRefused() {
        Fuzz.forAll("other key", 300, r -> {
            byte[] other = KEY.clone();
            other[r.nextInt(other.length)] ^= (byte) (1 + r.nextInt(255));
            Names n = names(r);
            return new StateCodec(other, clock).sign(new StateCodec(other, clock).newState(n.namespace(), n.name(),
                    n.uid(), 0));
        }, s -> assertRefused(s, Kind.state, Problem.BAD_SIGNATURE));
    }

    @Test
    void theWrongKindIsRefusedEvenWhenSigned() {
        Fuzz.forAll("wrong kind", 300, StateCodecPropertiesTest::names, n -> {
            assertRefused(codec.signLink(n.namespace(), n.name(), n.uid(), 0, Duration.ofDays(7)), Kind.state,
                    Problem.WRONG_KIND);
            assertRefused(codec.sign(codec.newState(n.namespace(), n.name(), n.uid(), 0)), Kind.link,
                    Problem.WRONG_KIND);
        });
    }

    @Test
    void expiryHoldsToTheSecond() {
        Fuzz.forAll("expiry", 300, r -> 1 + r.nextInt(14 * 24 * 3600), seconds -> {
            TestClock at = TestClock.fixedAt(NOW);
            StateCodec c = new StateCodec(KEY, at);
            String link = c.signLink("ns", "n", "u", 0, Duration.ofSeconds(seconds));
            at.advance(Duration.ofSeconds(seconds - 1));
            assertThat(verifyWith(c, link, Kind.link).uid()).isEqualTo("u");
            at.advance(Duration.ofSeconds(1));
            assertThat(problem(c, link, Kind.link)).isEqualTo(Problem.EXPIRED);
        });
    }

    /**
     * Payloads the codec never writes, but signed with the right key: a verdict, never another exception (a
     * {@code null} payload was a NullPointerException, an expiry beyond Instant's range a DateTimeException).
     */
    @Test
    void signedPayloadsOfAnyShapeAreRefusedAsMalformedOrAccepted() {
        List<String> payloads = List.of("{}", "[]", "null", "1", "\"state\"", "{\"k\":\"state\"}",
                "{\"k\":\"state\",\"ns\":\"a\",\"n\":\"b\",\"u\":\"c\",\"nc\":\"d\"}",
                "{\"k\":\"state\",\"ns\":\"a\",\"n\":\"b\",\"u\":\"c\",\"nc\":\"d\",\"exp\":9223372036854775807}",
                "{\"k\":\"state\",\"ns\":\"a\",\"n\":\"b\",\"u\":\"c\",\"nc\":\"d\",\"exp\":-9223372036854775808}",
                "{\"k\":\"state\",\"ns\":\"a\",\"n\":\"b\",\"u\":\"c\",\"nc\":\"d\",\"exp\":1e300}",
                "{\"k\":\"state\",\"ns\":\"a\",\"n\":\"b\",\"u\":\"c\",\"nc\":\"d\",\"exp\":99999999999999999999}",
                "{\"k\":\"state\",\"ns\":null,\"n\":\"b\",\"u\":\"c\",\"nc\":\"d\",\"exp\":1900000000}",
                "{\"k\":\"state\",\"ns\":\"a\",\"n\":\"b\",\"nc\":\"d\",\"exp\":1900000000}",
                "{\"k\":\"state\",\"ns\":\"a\",\"n\":\"b\",\"u\":\"c\",\"exp\":1900000000}",
                "{\"k\":\"link\",\"ns\":\"a\",\"n\":\"\",\"u\":\"c\",\"exp\":1900000000}",
                "{\"k\":\"state\",\"ns\":{},\"n\":[],\"u\":1,\"nc\":true,\"exp\":\"soon\"}",
                "{\"k\":\"STATE\",\"exp\":1900000000}", "{\"k\":\"state\"", "\u0000\u0001");
        for (String json : payloads) {
            String signed = signRaw(json);
            Kind kind = json.contains("\"link\"") ? Kind.link : Kind.state;
            Throwable thrown = catchThrowable(() -> codec.verify(signed, kind));
            if (thrown != null) {
                assertThat(thrown).as(json).isInstanceOf(InvalidException.class);
            }
        }
    }

    /** A verified claim is complete: the endpoints never see a null or blank name, uid or nonce. */
    @Test
    void signedClaimsMissingAFieldAreMalformed() {
        for (String json : List.of(
                "{\"k\":\"state\",\"ns\":null,\"n\":\"b\",\"u\":\"c\",\"nc\":\"d\",\"exp\":1900000000}",
                "{\"k\":\"state\",\"ns\":\"a\",\"n\":\"b\",\"nc\":\"d\",\"exp\":1900000000}",
                "{\"k\":\"state\",\"ns\":\"a\",\"n\":\"b\",\"u\":\"c\",\"exp\":1900000000}",
                "{\"k\":\"link\",\"ns\":\"a\",\"n\":\"\",\"u\":\"c\",\"exp\":1900000000}")) {
            Kind kind = json.contains("\"link\"") ? Kind.link : Kind.state;
            assertThat(problem(codec, signRaw(json), kind)).as(json).isEqualTo(Problem.MALFORMED);
        }
    }

    @Test
    void theOnlyAcceptedFormOfAStateIsTheOneIssued() {
        // base64url has spare bits in its last character and optional padding; only the issued spelling counts
        String signed = codec.sign(codec.newState("ns", "n", "u", 0));
        String mac = signed.substring(signed.indexOf('.') + 1);
        char last = mac.charAt(mac.length() - 1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int value = alphabet.indexOf(last);
        for (int spare = 1; spare < 4; spare++) {
            String respelled = signed.substring(0, signed.length() - 1) + alphabet.charAt(value ^ spare);
            assertRefused(respelled, Kind.state, Problem.BAD_SIGNATURE, Problem.MALFORMED);
        }
        assertRefused(signed + "=", Kind.state, Problem.BAD_SIGNATURE, Problem.MALFORMED);
    }

    // ------------------------------------------------------------------ helpers

    private StateCodec.Claims verify(String signed, Kind kind) {
        return verifyWith(codec, signed, kind);
    }

    private static StateCodec.Claims verifyWith(StateCodec c, String signed, Kind kind) {
        try {
            return c.verify(signed, kind);
        } catch (InvalidException e) {
            throw new AssertionError("refused: " + e.problem());
        }
    }

    private void assertRefused(String signed, Kind kind, Problem... allowed) {
        assertThat(problem(codec, signed, kind)).isIn((Object[]) allowed);
    }

    /** The problem {@code verify} reports; fails if it accepts, or throws anything but {@link InvalidException}. */
    private static Problem problem(StateCodec c, String signed, Kind kind) {
        Throwable thrown = catchThrowable(() -> c.verify(signed, kind));
        assertThat(thrown).as("verify(%s) must refuse with InvalidException", kind)
                .isInstanceOf(InvalidException.class);
        return ((InvalidException) thrown).problem();
    }

    private static String signRaw(String json) {
        try {
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            String payload = b64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
            return payload + "." + b64.encodeToString(mac.doFinal(("v1." + payload)
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
