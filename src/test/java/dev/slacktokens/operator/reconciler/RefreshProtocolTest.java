package dev.slacktokens.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.slacktokens.operator.reconciler.RefreshProtocol.Held;
import dev.slacktokens.operator.reconciler.RefreshProtocol.Step;
import dev.slacktokens.operator.reconciler.RefreshProtocol.Write;
import dev.slacktokens.operator.slack.IssuedToken;
import dev.slacktokens.operator.slack.RefreshedToken;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.slack.TokenType;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;

/**
 * The refresh protocol's store-write table ({@link RefreshProtocol#afterWrite}), one named row per case, and what a
 * store read back holds ({@link RefreshProtocol#held}), compared by content. The Slack side of the table (what each
 * error means) is {@link DecisionTest#slackErrors}.
 */
class RefreshProtocolTest {

    static final Instant T = Instant.parse("2026-01-01T10:00:00Z");
    static final SlackToken USED = SlackToken.of("xoxe-1-used");
    static final RefreshJournal OURS = RefreshJournal.start(USED, T, Optional.empty());
    static final RefreshedToken FRESH = refreshed("xoxe.xoxp-1-fresh", "xoxe-1-fresh");

    static RefreshedToken refreshed(String access, String refresh) {
        return new RefreshedToken("A1", new IssuedToken(TokenType.user, SlackToken.of(access),
                Optional.of(SlackToken.of(refresh)), Optional.of(Duration.ofHours(12)), List.of("chat:write")),
                Optional.of("U1"), Optional.empty(), Optional.empty(), Optional.empty(), false);
    }

    static Arguments row(Write write, Held held, boolean timeLeft, Step step, String why) {
        return Arguments.of(write + " × " + held + (timeLeft ? "" : " (store-write-retry spent)") + " → " + step + ": "
                + why, write, held, timeLeft, step);
    }

    static Stream<Arguments> writes() {
        return Stream.of(
                row(Write.LANDED, null, true, Step.DONE, "the API server said so"),
                row(Write.CONFLICT, Held.FRESH, true, Step.DONE, "our earlier write had landed"),
                row(Write.CONFLICT, Held.USED, true, Step.WRITE_AGAIN, "another change left our token: write on it"),
                row(Write.CONFLICT, Held.USED, false, Step.PARK, "a store that keeps changing: kept, read next pass"),
                row(Write.CONFLICT, Held.USED_BY_ANOTHER, true, Step.WRITE_AGAIN_AND_CHECK,
                        "another writer refreshes the same token (defect 4): write ours and check it"),
                row(Write.CONFLICT, Held.OTHER, true, Step.SUPERSEDED, "another writer's tokens: ours never landed"),
                row(Write.CONFLICT, Held.UNREADABLE, true, Step.WRITE_AGAIN, "write on the same version: a "
                        + "conflict then means it landed"),
                row(Write.UNKNOWN, Held.FRESH, true, Step.DONE, "a write whose answer was lost had landed (defect 1)"),
                row(Write.UNKNOWN, Held.FRESH, false, Step.DONE, "landed, whatever the time"),
                row(Write.UNKNOWN, Held.USED, true, Step.WRITE_AGAIN, "it did not land: try again"),
                row(Write.UNKNOWN, Held.USED, false, Step.PARK, "the API server refuses for long: kept in memory"),
                row(Write.UNKNOWN, Held.USED_BY_ANOTHER, false, Step.PARK, "kept in memory"),
                row(Write.UNKNOWN, Held.OTHER, true, Step.SUPERSEDED, "replaced: ours is not in the store"),
                row(Write.UNKNOWN, Held.UNREADABLE, true, Step.WRITE_AGAIN, "nothing known: try again"),
                row(Write.UNKNOWN, Held.UNREADABLE, false, Step.PARK, "may have landed: nothing revoked, kept in "
                        + "memory, read back before it is written or dropped"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("writes")
    void aWriteResultAndWhatTheStoreHoldsDecideTheNextStep(String name, Write write, Held held, boolean timeLeft,
            Step step) {
        assertThat(RefreshProtocol.afterWrite(write, held, timeLeft)).isEqualTo(step);
    }

    @Test
    void everyStoreResultHasARow() {
        var rows = writes().map(a -> Arrays.asList(a.get()).subList(1, 3)).toList();
        for (Write w : List.of(Write.CONFLICT, Write.UNKNOWN)) {
            for (Held h : Held.values()) {
                assertThat(rows).as(w + " × " + h).anyMatch(r -> r.get(0) == w && r.get(1) == h);
            }
        }
    }

    static StoreState store(String access, String refresh, Optional<RefreshJournal> journal) {
        StoredTokens tokens = new StoredTokens("uid", SlackToken.of(access), Optional.of(SlackToken.of(refresh)),
                Optional.of(T.plusSeconds(43200)), List.of("chat:write"), "U1", Optional.empty(), Optional.of("T1"),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), T, "7");
        StoreState s = StoreState.empty(new StoreState.Owner("ns", "c", "uid")).authorized(tokens, Map.of(),
                Optional.empty(), Optional.empty()).atResourceVersion("7");
        return journal.map(j -> s.withJournal(TokenPair.USER, j)).orElse(s);
    }

    static Stream<Arguments> holdings() {
        return Stream.of(
                Arguments.of("the pair Slack returned: FRESH", Optional.of(store("xoxe.xoxp-1-fresh", "xoxe-1-fresh",
                        Optional.empty())), Held.FRESH),
                Arguments.of("our refresh token with our journal: USED", Optional.of(store("xoxe.xoxp-1-old",
                        "xoxe-1-used", Optional.of(OURS))), Held.USED),
                Arguments.of("our refresh token with a later journal for it: USED_BY_ANOTHER", Optional.of(store(
                        "xoxe.xoxp-1-old", "xoxe-1-used", Optional.of(RefreshJournal.start(USED, T.plusSeconds(3),
                                Optional.empty())))), Held.USED_BY_ANOTHER),
                Arguments.of("the fresh refresh token with another access token: OTHER (by content, not one digest)",
                        Optional.of(store("xoxe.xoxp-1-other", "xoxe-1-fresh", Optional.empty())), Held.OTHER),
                Arguments.of("another writer's pair: OTHER", Optional.of(store("xoxe.xoxp-1-b", "xoxe-1-b",
                        Optional.empty())), Held.OTHER),
                Arguments.of("no store (the connection was deleted): OTHER", Optional.empty(), Held.OTHER));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("holdings")
    void whatTheStoreHoldsIsComparedByContent(String name, Optional<StoreState> current, Held held) {
        assertThat(RefreshProtocol.held(current, TokenPair.USER, USED, FRESH, OURS)).isEqualTo(held);
    }

    @Test
    void aJournalInDoubtIsKeptThroughItsEncodingAndAcrossAttempts() {
        RefreshJournal doubt = OURS.failed(T.plusSeconds(15), T.plusSeconds(15), "timeout", false, true);
        assertThat(doubt.inDoubtSince()).contains(T.plusSeconds(15));
        assertThat(RefreshJournal.decode(doubt.encode())).contains(doubt);
        RefreshJournal next = RefreshJournal.start(USED, T.plusSeconds(16), Optional.of(doubt));
        assertThat(next.needsCheck()).as("a later attempt's pair is checked").isTrue();
        RefreshJournal limited = next.failed(T.plusSeconds(17), T.plusSeconds(47), "ratelimited", false, false);
        assertThat(limited.inDoubtSince()).as("a 429 does not clear the doubt").contains(T.plusSeconds(15));
        assertThat(limited.needsCheck()).isTrue();
        assertThat(OURS.failed(T, T, "invalid_auth", false).needsCheck()).as("Slack's word: no doubt").isFalse();
    }
}
