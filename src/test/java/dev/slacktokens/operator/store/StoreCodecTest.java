package dev.slacktokens.operator.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.slack.SlackToken;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;

/** The token store's format: every state survives its Secret, and older or foreign Secrets read as they should. */
class StoreCodecTest {

    static final Instant ISSUED = Instant.parse("2026-01-01T00:00:00Z");
    static final StoreState.Owner OWNER = new StoreState.Owner("team-a", "a".repeat(70), "uid-1");
    static final SlackToken REFRESH = SlackToken.of("xoxe-1-refresh");

    static StoredTokens tokens(boolean bot) {
        return new StoredTokens("uid-1", SlackToken.of("xoxe.xoxp-1-access"), Optional.of(REFRESH),
                Optional.of(ISSUED.plus(Duration.ofHours(12))), List.of("chat:write", "users:read"), "U1",
                Optional.of("alice"), Optional.of("T1"), Optional.of("Team"), Optional.empty(), Optional.empty(),
                Optional.of("A1"), bot ? Optional.of(new StoredTokens.BotTokens(SlackToken.of("xoxe.xoxb-1-bot"),
                        Optional.of(SlackToken.of("xoxe-1-bot")), Optional.of(ISSUED.plus(Duration.ofHours(11))), "B1",
                        List.of("channels:read"), ISSUED.minusSeconds(3600))) : Optional.empty(), ISSUED, null);
    }

    static StoreState authorized(boolean bot) {
        return StoreState.empty(OWNER).authorized(tokens(bot), Map.of(Labels.REFRESH_REQUEST, "m0"),
                Optional.of("consumed-digest"), Optional.empty());
    }

    static Stream<Arguments> states() {
        RefreshJournal open = RefreshJournal.start(REFRESH, ISSUED.plusSeconds(60), Optional.empty());
        return Stream.of(
                Arguments.of("a first consent", authorized(false)),
                Arguments.of("a bot+user install", authorized(true)),
                Arguments.of("an open journal", authorized(true).withJournal(TokenPair.USER, open)),
                Arguments.of("a failed journal on each pair", authorized(true)
                        .withJournal(TokenPair.USER, open.failed(ISSUED.plusSeconds(61), ISSUED.plusSeconds(63),
                                "internal_error", false))
                        .withJournal(TokenPair.BOT, RefreshJournal.start(SlackToken.of("xoxe-1-bot"), ISSUED,
                                Optional.empty()).failed(ISSUED, ISSUED.plusSeconds(2), "bad_client_secret", true))),
                Arguments.of("dead tokens", authorized(true).dead(Reason.Revoked, "uninstalled: reinstall it")),
                Arguments.of("a dropped bot pair", authorized(true).withoutBot("Slack revoked the bot token")),
                Arguments.of("handled requests", authorized(false).refreshHandled("m1").reauthorizeHandled("r1")),
                Arguments.of("an import", StoreState.empty(OWNER).authorized(tokens(false), Map.of(), Optional.empty(),
                        Optional.of("legacy/token"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("states")
    void everyStateSurvivesItsSecret(String name, StoreState state) {
        Secret secret = StoreCodec.encode(state, "slack-token-operator");
        StoreState read = StoreCodec.decode(secret);
        assertThat(read).isEqualTo(state);
        assertThat(secret.getMetadata().getName()).isEqualTo("suc-uid-1");
        assertThat(secret.getMetadata().getLabels()).containsEntry(Labels.CONNECTION, Labels.labelValue(OWNER.name()))
                .containsEntry(Labels.CONNECTION_UID, "uid-1").containsEntry(Labels.ROLE, Labels.ROLE_STORE);
        assertThat(StoreCodec.ownerOf(secret)).as("the full name, though the label is shortened").isEqualTo(OWNER);
    }

    @Test
    void deadTokensLeaveTheIdentityAndNoTokenBehind() {
        Secret secret = StoreCodec.encode(authorized(true).dead(Reason.ReauthorizationRequired, "gone"), "ns");
        assertThat(StoreCodec.decode(secret.getData())).containsEntry("user_id", "U1").containsEntry("team_id", "T1")
                .doesNotContainKeys("access_token", "refresh_token", "bot_access_token", "bot_refresh_token",
                        "expires_at");
        assertThat(secret.getMetadata().getAnnotations()).containsEntry(Labels.DEAD, "ReauthorizationRequired: gone");
    }

    @Test
    void aStoreFromBeforeTheAuthorizationCountHoldsOneAndForeignAnnotationsAreKept() {
        Secret old = new SecretBuilder().withNewMetadata().withName("suc-uid-1").withResourceVersion("41")
                .addToLabels(Labels.CONNECTION, "short").addToLabels(Labels.CONNECTION_NAMESPACE, "team-a")
                .addToLabels(Labels.CONNECTION_UID, "uid-1").addToAnnotations("example.com/note", "kept")
                .addToAnnotations(Labels.REFRESH_JOURNAL, "not a journal").endMetadata()
                .withData(StoreCodec.encode(Map.of("access_token", "xoxp-1-legacy", "user_id", "U1"))).build();
        StoreState read = StoreCodec.decode(old);
        assertThat(read.authorizations()).isEqualTo(1);
        assertThat(read.owner()).isEqualTo(new StoreState.Owner("team-a", "short", "uid-1"));
        assertThat(read.journal(TokenPair.USER)).as("a value that is not a journal is ignored").isEmpty();
        assertThat(read.tokens()).hasValueSatisfying(t -> {
            assertThat(t.refreshToken()).isEmpty();
            assertThat(t.resourceVersion()).isEqualTo("41");
        });
        assertThat(StoreCodec.encode(read, "ns").getMetadata().getAnnotations())
                .containsEntry("example.com/note", "kept");
    }

    @Test
    void withoutAnAccessTokenThereAreNoTokens() {
        Secret empty = new SecretBuilder().withNewMetadata().withName("suc-x").endMetadata().build();
        assertThat(StoreCodec.decode(empty).tokens()).isEmpty();
        assertThat(StoreCodec.decode(empty).owner()).isEqualTo(new StoreState.Owner(null, null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("journals")
    void aJournalSurvivesItsEncoding(String name, RefreshJournal journal) {
        assertThat(RefreshJournal.decode(journal.encode())).contains(journal);
    }

    static Stream<Arguments> journals() {
        RefreshJournal open = RefreshJournal.start(REFRESH, ISSUED, Optional.empty());
        RefreshJournal failed = open.failed(ISSUED, ISSUED.plusSeconds(2), "internal_error", false);
        return Stream.of(Arguments.of("open", open), Arguments.of("failed", failed),
                Arguments.of("failed twice, bad client", failed.failed(ISSUED.plusSeconds(2), ISSUED.plusSeconds(6),
                        "bad_client_secret", true)),
                Arguments.of("an error string with odd characters is made safe", open.failed(ISSUED,
                        ISSUED.plusSeconds(2), "http 503;x=y", false)));
    }
}
