package dev.slacktokens.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;

/** When a pair is refreshed next, with a fixed clock: one row per branch of {@link RefreshSchedule}. */
class RefreshScheduleTest {

    static final Instant ISSUED = Instant.parse("2026-01-01T00:00:00Z");
    static final Instant EXPIRES = ISSUED.plus(Duration.ofHours(12));
    static final Duration MARGIN = Duration.ofHours(2);
    static final SlackToken REFRESH = SlackToken.of("xoxe-1-current");
    static final SlackToken OLD_REFRESH = SlackToken.of("xoxe-1-previous");
    static final Instant POLICY_AT = RefreshPolicy.decide("uid", ISSUED, Optional.of(EXPIRES), MARGIN, 0,
            Optional.empty(), Optional.empty(), ISSUED).refreshAt().orElseThrow();
    static final Instant NOON = ISSUED.plus(Duration.ofHours(3));
    static final Instant FAILED_AT = NOON.minusSeconds(10);
    static final Instant RETRY_AT = FAILED_AT.plusSeconds(60);

    static StoredTokens tokens(Optional<SlackToken> refresh) {
        return new StoredTokens("uid", SlackToken.of("xoxe.xoxp-1-access"), refresh, Optional.of(EXPIRES),
                List.of("chat:write"), "U1", Optional.empty(), Optional.of("T1"), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), ISSUED, "1");
    }

    static RefreshJournal open(SlackToken token) {
        return RefreshJournal.start(token, NOON.minusSeconds(5), Optional.empty());
    }

    static RefreshJournal failed(SlackToken token) {
        return RefreshJournal.start(token, FAILED_AT, Optional.empty()).failed(FAILED_AT, RETRY_AT, "internal_error",
                false);
    }

    static Stream<Arguments> rows() {
        return Stream.of(
                // name, refresh token, journal, manual, now → now?, at, carries failures
                Arguments.of("no refresh token: never", Optional.empty(), Optional.empty(), false, NOON, false,
                        Optional.empty(), false),
                Arguments.of("before refreshAt: wait for it", Optional.of(REFRESH), Optional.empty(), false, NOON,
                        false, Optional.of(POLICY_AT), false),
                Arguments.of("at refreshAt: now", Optional.of(REFRESH), Optional.empty(), false, POLICY_AT, true,
                        Optional.of(POLICY_AT), false),
                Arguments.of("manual request: now", Optional.of(REFRESH), Optional.empty(), true, NOON, true,
                        Optional.of(NOON), false),
                Arguments.of("open journal (a crash): resume now", Optional.of(REFRESH), Optional.of(open(REFRESH)),
                        false, NOON, true, Optional.of(NOON), false),
                Arguments.of("failed journal: wait for its retryAt", Optional.of(REFRESH),
                        Optional.of(failed(REFRESH)), false, NOON, false, Optional.of(RETRY_AT), true),
                Arguments.of("failed journal, retryAt passed: now", Optional.of(REFRESH), Optional.of(failed(REFRESH)),
                        false, RETRY_AT, true, Optional.of(RETRY_AT), true),
                Arguments.of("manual request after a failure: still waits for the backoff", Optional.of(REFRESH),
                        Optional.of(failed(REFRESH)), true, NOON, false, Optional.of(RETRY_AT), true),
                Arguments.of("a journal about an older refresh token is ignored", Optional.of(REFRESH),
                        Optional.of(failed(OLD_REFRESH)), false, NOON, false, Optional.of(POLICY_AT), false),
                Arguments.of("an open journal about an older refresh token is ignored", Optional.of(REFRESH),
                        Optional.of(open(OLD_REFRESH)), false, NOON, false, Optional.of(POLICY_AT), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void decides(String name, Optional<SlackToken> refresh, Optional<RefreshJournal> journal, boolean manual,
            Instant now, boolean refreshNow, Optional<Instant> at, boolean carriesFailures) {
        RefreshSchedule.Due due = RefreshSchedule.of(TokenPair.USER, "uid", tokens(refresh), journal, manual, MARGIN,
                now);
        assertThat(due.now()).as("now").isEqualTo(refreshNow);
        assertThat(due.at()).as("at").isEqualTo(at);
        assertThat(due.failures().isPresent()).as("failures").isEqualTo(carriesFailures);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("journals")
    void aJournalSurvivesItsEncoding(String name, RefreshJournal journal) {
        assertThat(RefreshJournal.decode(journal.encode())).contains(journal);
    }

    static Stream<Arguments> journals() {
        return Stream.of(Arguments.of("open", open(REFRESH)), Arguments.of("failed", failed(REFRESH)),
                Arguments.of("failed twice, bad client", failed(REFRESH).failed(RETRY_AT, RETRY_AT.plusSeconds(4),
                        "bad_client_secret", true)));
    }
}
