package dev.slacktokens.operator.grant;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionSpec;
import dev.slacktokens.operator.slack.AuthIdentity;
import dev.slacktokens.operator.slack.OAuthGrant;
import dev.slacktokens.operator.slack.RefreshedToken;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackRef;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;
import org.jboss.logging.Logger;

/**
 * The one home of a grant (what one consent, exchange or refresh gave): whose it is, how it becomes stored tokens,
 * and revoking all of it (user and bot pairs). Used by the OAuth callback, the legacy import, the refresher,
 * re-authorization and deletion.
 */
@ApplicationScoped
public class Grants {

    private static final Logger LOG = Logger.getLogger(Grants.class);

    @Inject
    SlackClient slack;

    /** Every token of stored tokens: refresh tokens first (revoking one ends its access token too). */
    public static List<SlackToken> all(StoredTokens tokens) {
        List<SlackToken> all = new ArrayList<>();
        tokens.refreshToken().ifPresent(all::add);
        all.add(tokens.accessToken());
        tokens.bot().ifPresent(b -> {
            b.refreshToken().ifPresent(all::add);
            all.add(b.accessToken());
        });
        return all;
    }

    public static List<SlackToken> all(OAuthGrant grant) {
        List<SlackToken> all = new ArrayList<>();
        grant.userToken().refreshToken().ifPresent(all::add);
        all.add(grant.userToken().accessToken());
        grant.bot().ifPresent(b -> {
            b.token().refreshToken().ifPresent(all::add);
            all.add(b.token().accessToken());
        });
        return all;
    }

    public static List<SlackToken> all(RefreshedToken fresh) {
        return List.of(fresh.refreshToken(), fresh.token().accessToken());
    }

    /** Revokes every token at Slack; returns how many were still live. A Slack failure is thrown (to retry). */
    public int revoke(List<SlackToken> tokens) {
        int revoked = 0;
        for (SlackToken token : tokens) {
            revoked += slack.revoke(token) ? 1 : 0;
        }
        return revoked;
    }

    /** Revokes every token, best effort (each failure is logged, without the token). */
    public void revokeQuietly(List<SlackToken> tokens, String what) {
        for (SlackToken token : tokens) {
            try {
                slack.revoke(token);
            } catch (SlackApiException e) {
                LOG.warnf("Could not revoke %s (%s): %s", token, what, e.error());
            }
        }
    }

    /**
     * Whether a grant is for the workspace (or organization) and user the connection asks for; empty when it is, else
     * what differs.
     */
    public static Optional<String> mismatch(SlackUserConnectionSpec spec, String userId, Optional<SlackRef> team,
            Optional<SlackRef> enterprise) {
        String expectedTeam = spec.getTeam();
        String expectedUser = spec.getUser();
        boolean teamOk = expectedTeam == null || expectedTeam.equals(team.map(SlackRef::id).orElse(null))
                || expectedTeam.equals(enterprise.map(SlackRef::id).orElse(null));
        boolean userOk = expectedUser == null || expectedUser.equals(userId);
        if (teamOk && userOk) {
            return Optional.empty();
        }
        List<String> problems = new ArrayList<>();
        if (!teamOk) {
            problems.add("the connection expects workspace " + expectedTeam + " but the token is for "
                    + where(team, enterprise));
        }
        if (!userOk) {
            problems.add("the connection expects Slack user " + expectedUser + " but the token is " + userId + "'s");
        }
        return Optional.of(String.join("; ", problems));
    }

    /** {@code workspace Name (T123)}, or {@code organization E123} for an org-wide grant. */
    public static String where(Optional<SlackRef> team, Optional<SlackRef> enterprise) {
        return team.map(t -> "workspace " + t.name().map(n -> n + " (" + t.id() + ")").orElse(t.id()))
                .orElseGet(() -> "organization " + enterprise.map(SlackRef::id).orElse("?"));
    }

    /**
     * Confirms a consent's user token with {@code auth.test} (the user it names must be the exchange's). A failure
     * revokes the grant and is thrown.
     */
    public AuthIdentity confirm(OAuthGrant grant) throws UnconfirmedException {
        try {
            AuthIdentity identity = slack.authTest(grant.userToken().accessToken());
            if (!identity.userId().equals(grant.userId())) {
                revokeQuietly(all(grant), "a grant auth.test disowned");
                throw new UnconfirmedException(null);
            }
            return identity;
        } catch (SlackApiException e) {
            revokeQuietly(all(grant), "an unconfirmed grant");
            throw new UnconfirmedException(e.error());
        }
    }

    /** auth.test did not confirm a grant ({@code error}: Slack's error, or null when it named another user). */
    public static final class UnconfirmedException extends Exception {
        private final String error;

        UnconfirmedException(String error) {
            super(error, null, false, false);
            this.error = error;
        }

        public Optional<String> error() {
            return Optional.ofNullable(error);
        }
    }

    /** A completed consent as stored tokens (times in whole seconds). */
    public static StoredTokens fromConsent(String connectionUid, OAuthGrant grant, AuthIdentity identity,
            Instant received) {
        Instant now = received.truncatedTo(ChronoUnit.SECONDS);
        var user = grant.userToken();
        return new StoredTokens(connectionUid, user.accessToken(), user.refreshToken(), user.expiresAt(now),
                user.scopes(), grant.userId(), identity.userName(), grant.team().map(SlackRef::id),
                grant.team().flatMap(SlackRef::name).or(identity::teamName), grant.enterprise().map(SlackRef::id),
                grant.enterprise().flatMap(SlackRef::name), Optional.ofNullable(grant.appId()),
                grant.bot().map(b -> new StoredTokens.BotTokens(b.token().accessToken(), b.token().refreshToken(),
                        b.token().expiresAt(now), b.botUserId() == null ? "" : b.botUserId(), b.token().scopes(),
                        now)),
                now, null);
    }

    /** A long-lived token exchanged for a rotating pair, as stored tokens. */
    public static StoredTokens fromExchange(String connectionUid, RefreshedToken pair, Instant received) {
        Instant now = received.truncatedTo(ChronoUnit.SECONDS);
        return new StoredTokens(connectionUid, pair.token().accessToken(), Optional.of(pair.refreshToken()),
                pair.token().expiresAt(now), pair.token().scopes(), pair.userId().orElse(""), Optional.empty(),
                pair.team().map(SlackRef::id), pair.team().flatMap(SlackRef::name),
                pair.enterprise().map(SlackRef::id), pair.enterprise().flatMap(SlackRef::name),
                Optional.ofNullable(pair.appId()), Optional.empty(), now, null);
    }

    /**
     * The tokens after Slack rotated {@code pair}. Values Slack did not send (user id, team, scopes) keep their stored
     * value; the other pair is untouched.
     */
    public static StoredTokens fromRefresh(StoredTokens previous, TokenPair pair, RefreshedToken fresh,
            Instant received) {
        Instant now = received.truncatedTo(ChronoUnit.SECONDS);
        if (pair == TokenPair.BOT) {
            var old = previous.bot().orElseThrow();
            return previous.withBot(Optional.of(new StoredTokens.BotTokens(fresh.token().accessToken(),
                    Optional.of(fresh.refreshToken()), fresh.token().expiresAt(now),
                    fresh.botUserId().orElse(old.botUserId()),
                    fresh.token().scopes().isEmpty() ? old.scopes() : fresh.token().scopes(), now)));
        }
        return new StoredTokens(previous.connectionUid(), fresh.token().accessToken(),
                Optional.of(fresh.refreshToken()), fresh.token().expiresAt(now),
                fresh.token().scopes().isEmpty() ? previous.scopes() : fresh.token().scopes(),
                fresh.userId().orElse(previous.userId()), previous.userName(),
                fresh.team().map(SlackRef::id).or(previous::teamId), previous.teamName(),
                fresh.enterprise().map(SlackRef::id).or(previous::enterpriseId), previous.enterpriseName(),
                Optional.ofNullable(fresh.appId()).or(previous::appId), previous.bot(), now, null);
    }
}
