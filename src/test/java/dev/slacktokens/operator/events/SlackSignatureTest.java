package dev.slacktokens.operator.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class SlackSignatureTest {

    static final String SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
    static final String TS = "1531420618";
    static final byte[] BODY = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
            + "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
            + "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J"
            + "%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
            .getBytes(StandardCharsets.UTF_8);
    static final String SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    static final Instant AT = Instant.ofEpochSecond(1531420618);

    @Test
    void slacksTestVectorIsValid() {
        assertThat(SlackSignature.verify(SECRET, TS, BODY, SIGNATURE, AT)).isEqualTo(SlackSignature.Verdict.VALID);
        assertThat(SlackSignature.verify(SECRET, TS, BODY, SIGNATURE, AT.plusSeconds(300)))
                .isEqualTo(SlackSignature.Verdict.VALID);
    }

    @Test
    void staleOrFutureTimestampsAreRefused() {
        assertThat(SlackSignature.verify(SECRET, TS, BODY, SIGNATURE, AT.plusSeconds(301)))
                .isEqualTo(SlackSignature.Verdict.STALE);
        assertThat(SlackSignature.verify(SECRET, TS, BODY, SIGNATURE, AT.minusSeconds(301)))
                .isEqualTo(SlackSignature.Verdict.STALE);
    }

    @Test
    void anyChangeBreaksTheSignature() {
        assertThat(SlackSignature.verify("other-secret", TS, BODY, SIGNATURE, AT))
                .isEqualTo(SlackSignature.Verdict.BAD_SIGNATURE);
        byte[] tampered = BODY.clone();
        tampered[5] ^= 1;
        assertThat(SlackSignature.verify(SECRET, TS, tampered, SIGNATURE, AT))
                .isEqualTo(SlackSignature.Verdict.BAD_SIGNATURE);
        assertThat(SlackSignature.verify(SECRET, "1531420619", BODY, SIGNATURE, AT))
                .isEqualTo(SlackSignature.Verdict.BAD_SIGNATURE);
        assertThat(SlackSignature.verify(SECRET, TS, BODY, null, AT)).isEqualTo(SlackSignature.Verdict.MISSING);
        assertThat(SlackSignature.verify(SECRET, "soon", BODY, SIGNATURE, AT)).isEqualTo(SlackSignature.Verdict.MISSING);
    }

    /** Found by SlackSignaturePropertiesTest: now - ts overflowed to Long.MIN_VALUE, whose absolute value is negative. */
    @Test
    void aTimestampWhoseAgeOverflowsIsStale() {
        long overflowing = Long.MIN_VALUE + AT.getEpochSecond();
        String signature = dev.slacktokens.operator.simulator.SlackRequestSigner.sign(SECRET, overflowing,
                new String(BODY, StandardCharsets.UTF_8));
        assertThat(SlackSignature.verify(SECRET, Long.toString(overflowing), BODY, signature, AT))
                .isEqualTo(SlackSignature.Verdict.STALE);
        assertThat(SlackSignature.verify(SECRET, Long.toString(Long.MIN_VALUE), BODY, signature, AT))
                .isEqualTo(SlackSignature.Verdict.STALE);
    }
}
