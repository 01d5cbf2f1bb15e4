package dev.slacktokens.operator.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.slack.SlackToken;

/** The store's transitions: each changes what it says and nothing else. */
class StoreStateTest {

    static final StoreState AUTHORIZED = StoreCodecTest.authorized(true);

    @Test
    void anAuthorizationCountsAndMarksRequestsMadeBeforeItAsHandled() {
        assertThat(AUTHORIZED.authorizations()).isEqualTo(1);
        assertThat(AUTHORIZED.refreshHandled()).as("a refresh request made before the consent").contains("m0");
        StoreState again = AUTHORIZED.refreshHandled("m1").reauthorizeHandled("r1").authorized(
                StoreCodecTest.tokens(false), Map.of(), Optional.of("other"), Optional.empty());
        assertThat(again.authorizations()).isEqualTo(2);
        assertThat(again.refreshHandled()).as("kept from the previous tokens").contains("m1");
        assertThat(again.reauthorizeHandled()).contains("r1");
        assertThat(again.dead()).isEmpty();
        assertThat(again.consumedState()).contains("other");
    }

    @Test
    void aRefreshClosesOnlyItsOwnPairsJournalAndRecordsTheRequestItAnswered() {
        RefreshJournal user = RefreshJournal.start(StoreCodecTest.REFRESH, StoreCodecTest.ISSUED, Optional.empty());
        RefreshJournal bot = RefreshJournal.start(SlackToken.of("xoxe-1-bot"), StoreCodecTest.ISSUED,
                Optional.empty());
        StoreState both = AUTHORIZED.withJournal(TokenPair.USER, user).withJournal(TokenPair.BOT, bot);
        StoreState refreshed = both.refreshed(TokenPair.USER, StoreCodecTest.tokens(true), Optional.of("m2"));
        assertThat(refreshed.journal(TokenPair.USER)).isEmpty();
        assertThat(refreshed.journal(TokenPair.BOT)).contains(bot);
        assertThat(refreshed.refreshHandled()).contains("m2");
        assertThat(refreshed.currentJournal(TokenPair.BOT)).contains(bot);
    }

    @Test
    void deadTokensCloseEveryJournalAndKeepTheIdentity() {
        StoreState dead = AUTHORIZED.withJournal(TokenPair.USER, RefreshJournal.start(StoreCodecTest.REFRESH,
                StoreCodecTest.ISSUED, Optional.empty())).dead(Reason.Revoked, "uninstalled");
        assertThat(dead.tokens()).isEmpty();
        assertThat(dead.journals()).isEmpty();
        assertThat(dead.identity()).containsEntry("user_id", "U1").doesNotContainKey("expires_at");
        assertThat(dead.dead()).contains(new StoreState.Death(Reason.Revoked, "uninstalled"));
        assertThat(dead.authorizations()).isEqualTo(AUTHORIZED.authorizations());
    }

    @Test
    void aDroppedBotPairKeepsTheUserPair() {
        StoreState noBot = AUTHORIZED.withJournal(TokenPair.BOT, RefreshJournal.start(SlackToken.of("xoxe-1-bot"),
                StoreCodecTest.ISSUED, Optional.empty())).withoutBot("revoked");
        assertThat(noBot.tokens()).hasValueSatisfying(t -> {
            assertThat(t.bot()).isEmpty();
            assertThat(t.refreshToken()).contains(StoreCodecTest.REFRESH);
        });
        assertThat(noBot.journal(TokenPair.BOT)).isEmpty();
        assertThat(noBot.botDead()).contains("revoked");
        assertThat(noBot.identity()).doesNotContainKey("bot_user_id");
    }
}
