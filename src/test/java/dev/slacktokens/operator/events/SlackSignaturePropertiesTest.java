package dev.slacktokens.operator.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.SplittableRandom;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.events.SlackSignature.Verdict;
import dev.slacktokens.operator.testing.Fuzz;

/**
 * Properties of the v0 request signature check over generated requests: only the signing secret's signature of
 * exactly this body and timestamp, within five minutes, is valid; anything else is a verdict, never an exception.
 */
class SlackSignaturePropertiesTest {

    static final String SECRET = "sim-signing-secret";
    static final Instant NOW = Instant.parse("2026-05-01T10:00:00Z");
    static final long NOW_S = NOW.getEpochSecond();

    record Request(byte[] body, long timestamp) {
        String sign(String secret) {
            return signBytes(secret, timestamp, body);
        }

        @Override
        public String toString() {
            return "ts " + timestamp + ", body " + Fuzz.describe(new String(body, StandardCharsets.ISO_8859_1));
        }
    }

    /** Binary, text and JSON bodies. */
    static byte[] body(SplittableRandom r) {
        return switch (r.nextInt(3)) {
            case 0 -> Fuzz.bytes(r, 2000);
            case 1 -> Fuzz.text(r, 500).getBytes(StandardCharsets.ISO_8859_1);
            default -> ("{\"type\":\"event_callback\",\"team_id\":\"" + Fuzz.printable(r, 12) + "\"}")
                    .getBytes(StandardCharsets.ISO_8859_1);
        };
    }

    static Request fresh(SplittableRandom r) {
        return new Request(body(r), NOW_S - 300 + r.nextInt(601));
    }

    @Test
    void aFreshSignatureOfTheBodyIsValid() {
        Fuzz.forAll("fresh and signed", 1000, SlackSignaturePropertiesTest::fresh, req -> assertThat(
                SlackSignature.verify(SECRET, Long.toString(req.timestamp()), req.body(), req.sign(SECRET), NOW))
                .isEqualTo(Verdict.VALID));
    }

    @Test
    void anyChangeToTheBodyBreaksIt() {
        Fuzz.forAll("body changed", 1000, SlackSignaturePropertiesTest::fresh, req -> {
            byte[] changed = req.body().length == 0 ? new byte[] { 'x' } : req.body().clone();
            if (req.body().length > 0) {
                changed[new SplittableRandom(req.timestamp()).nextInt(changed.length)] ^= 0x20;
            }
            assertThat(SlackSignature.verify(SECRET, Long.toString(req.timestamp()), changed, req.sign(SECRET), NOW))
                    .isEqualTo(Verdict.BAD_SIGNATURE);
        });
    }

    @Test
    void anyOtherSecretOrTimestampBreaksIt() {
        Fuzz.forAll("other secret or timestamp", 1000, SlackSignaturePropertiesTest::fresh, req -> {
            assertThat(SlackSignature.verify(SECRET, Long.toString(req.timestamp()), req.body(),
                    req.sign(SECRET + "x"), NOW)).isEqualTo(Verdict.BAD_SIGNATURE);
            long other = req.timestamp() == NOW_S ? NOW_S - 1 : NOW_S;
            assertThat(SlackSignature.verify(SECRET, Long.toString(other), req.body(), req.sign(SECRET), NOW))
                    .isEqualTo(Verdict.BAD_SIGNATURE);
        });
    }

    @Test
    void anyMutationOfTheSignatureHeaderBreaksIt() {
        Fuzz.forAll("signature mutated", 2000, r -> {
            Request req = fresh(r);
            return new Object[] { req, Fuzz.mutate(r, req.sign(SECRET)) };
        }, in -> {
            Request req = (Request) in[0];
            String header = (String) in[1];
            if (header.trim().equals(req.sign(SECRET))) {
                return; // surrounding whitespace is not part of a header value
            }
            assertThat(SlackSignature.verify(SECRET, Long.toString(req.timestamp()), req.body(), header, NOW))
                    .isIn(Verdict.BAD_SIGNATURE, Verdict.MISSING);
        });
    }

    /** Signed with the real secret, so only the timestamp window can refuse it, including arithmetic extremes. */
    @Test
    void aSignedRequestOutsideFiveMinutesIsStale() {
        long[] extremes = { Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + NOW_S, Long.MIN_VALUE + NOW_S - 1,
            Long.MIN_VALUE + NOW_S + 1, Long.MAX_VALUE - NOW_S, NOW_S - 301, NOW_S + 301, 0, -1 };
        Fuzz.forAll("stale", 1000, r -> {
            long ts = r.nextInt(4) == 0 ? extremes[r.nextInt(extremes.length)]
                    : r.nextBoolean() ? NOW_S + 301 + r.nextLong(1L << 40) : NOW_S - 301 - r.nextLong(1L << 40);
            return new Request(body(r), ts);
        }, req -> assertThat(SlackSignature.verify(SECRET, Long.toString(req.timestamp()), req.body(),
                req.sign(SECRET), NOW)).isEqualTo(Verdict.STALE));
    }

    @Test
    void anyHeadersAreAVerdictNeverAnException() {
        Fuzz.forAll("random headers", 3000, r -> new String[] {
            r.nextInt(5) == 0 ? null : Fuzz.oneOf(r, Fuzz.text(r, 30), Fuzz.printable(r, 25),
                    Long.toString(r.nextLong()), "  " + NOW_S + " ", "+" + NOW_S, "0x" + Long.toHexString(NOW_S),
                    NOW_S + ".0", "1e9", "-" + NOW_S),
            r.nextInt(5) == 0 ? null : Fuzz.oneOf(r, Fuzz.text(r, 80), "v0=" + Fuzz.printable(r, 70), "v0=",
                    "v1=" + "0".repeat(64), "v0=" + "0".repeat(64), "V0=" + "a".repeat(64)) },
            h -> assertThat(SlackSignature.verify(SECRET, h[0], "{}".getBytes(StandardCharsets.UTF_8), h[1], NOW))
                    .isIn(Verdict.MISSING, Verdict.STALE, Verdict.BAD_SIGNATURE));
    }

    /** Slack's v0 signature over raw bytes (the simulator's signer takes text). */
    static String signBytes(String secret, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update(("v0:" + timestamp + ":").getBytes(StandardCharsets.UTF_8));
            return "v0=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
