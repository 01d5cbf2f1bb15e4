package dev.slacktokens.operator.events;

import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.TokenStore;
import org.jboss.logging.Logger;

/**
 * Acts on Slack's revocation events at once, on whichever replica received them: the matching token stores lose
 * their dead tokens and say why; the leader's reconciler then updates the workload Secrets and conditions.
 */
@ApplicationScoped
public class RevocationHandler {

    private static final Logger LOG = Logger.getLogger(RevocationHandler.class);

    @Inject
    TokenStore store;
    @Inject
    SlackClient slack;

    /**
     * {@code tokens_revoked}: the user tokens of the users in {@code tokens.oauth} and the bot tokens of the bot users
     * in {@code tokens.bot}, of this app in that workspace (or organization), are dead. A revoked user token ends the
     * connection's tokens; a revoked bot token only drops the bot pair. Tokens issued after the event (a
     * re-authorization before Slack's retry of the event arrived) are left alone. Returns how many connections were
     * affected.
     */
    public int tokensRevoked(Workspace where, String appId, Collection<String> userIds,
            Collection<String> botUserIds, Instant eventTime) {
        int users = change(s -> where.holds(s) && ofApp(s, appId) && userIds.contains(s.identity().get("user_id"))
                && revokedByEvent(s.tokens().get().issuedAt(), s.tokens().get().accessToken(), eventTime),
                s -> s.dead(Reason.ReauthorizationRequired, "Slack revoked this user's tokens (tokens_revoked event); "
                        + "a Slack user must authorize again: open status.authorizeUrl"));
        int bots = change(s -> where.holds(s) && ofApp(s, appId) && s.tokens().flatMap(t -> t.bot())
                .filter(b -> botUserIds.contains(b.botUserId()) && revokedByEvent(b.issuedAt(), b.accessToken(),
                        eventTime)).isPresent(),
                s -> s.withoutBot("Slack revoked the bot token (tokens_revoked event); the bot token was removed. "
                        + "Authorize again (status.authorizeUrl) to get one"));
        return users + bots;
    }

    /**
     * Where an event happened: its envelope's {@code team_id} and, for organization-wide installs, its
     * {@code enterprise_id}.
     */
    public record Workspace(String teamId, String enterpriseId) {

        /**
         * A store belongs here when its workspace is the event's, or when it holds an organization-wide install
         * (no workspace of its own) of the event's organization.
         */
        boolean holds(StoreState s) {
            String team = s.identity().get("team_id");
            String enterprise = s.identity().get("enterprise_id");
            if (teamId != null && (teamId.equals(team) || (team == null && teamId.equals(enterprise)))) {
                return true;
            }
            return team == null && enterpriseId != null && enterpriseId.equals(enterprise);
        }
    }

    /** {@code app_uninstalled}: every token of the app in that workspace is dead. */
    public int appUninstalled(Workspace where, String appId, Instant eventTime) {
        return change(s -> where.holds(s) && ofApp(s, appId)
                && revokedByEvent(s.tokens().get().issuedAt(), s.tokens().get().accessToken(), eventTime),
                s -> s.dead(Reason.Revoked, "The Slack app was uninstalled from the workspace (app_uninstalled "
                        + "event); reinstall it and authorize again through status.authorizeUrl"));
    }

    /**
     * Applies {@code change} to every store with live tokens that {@code matches}, each through
     * {@link TokenStore#update} (a store changed meanwhile, e.g. by a refresh whose new tokens belong to the same
     * revoked grant, is read again and changed if it still matches). One store that cannot be written does not stop the
     * others; the event then fails after all were tried, so that Slack delivers it again.
     */
    private int change(Predicate<StoreState> matches, UnaryOperator<StoreState> change) {
        int n = 0;
        int failures = 0;
        for (StoreState s : store.list()) {
            if (s.tokens().isEmpty() || !matches.test(s)) {
                continue;
            }
            try {
                if (store.update(s, current -> Optional.of(current).filter(x -> x.tokens().isPresent())
                        .filter(matches).map(change)).isPresent()) {
                    n++;
                    LOG.infof("Tokens of %s dropped after a Slack event", s.owner());
                }
            } catch (RuntimeException e) {
                failures++;
                LOG.warnf("Could not drop the tokens of %s after a Slack event (%s); Slack retries the event", s.owner(),
                        e.getClass().getSimpleName());
            }
        }
        if (failures > 0) {
            throw new IllegalStateException(failures + " token store(s) could not be changed after a Slack event");
        }
        return n;
    }

    private static boolean ofApp(StoreState s, String appId) {
        String stored = s.identity().get("app_id");
        return appId == null || stored == null || appId.equals(stored);
    }

    /** How tokens issued at {@code issued} relate to an event sent at {@code eventTime} (whole seconds, as Slack sends it). */
    enum Age {
        /** Issued before the event's second: the event is about them. */
        OLDER,
        /** Issued within the event's second: a consent just before the revocation, or just after it. */
        SAME_SECOND,
        /** Issued after the event's second: a new consent, not revoked. */
        NEWER
    }

    static Age age(Instant issued, Instant eventTime) {
        if (eventTime == null || issued.isBefore(eventTime)) {
            return Age.OLDER;
        }
        return issued.isBefore(eventTime.plusSeconds(1)) ? Age.SAME_SECOND : Age.NEWER;
    }

    /**
     * Whether the event revoked tokens issued at {@code issued}. Within the event's own second the order cannot be
     * told from the times, so Slack is asked ({@code auth.test} on the access token): tokens it still accepts came
     * after the revocation and are kept; dropping them would cost a new consent, keeping revoked ones a workload
     * with a dead token and Ready=True.
     */
    private boolean revokedByEvent(Instant issued, SlackToken accessToken, Instant eventTime) {
        return switch (age(issued, eventTime)) {
            case OLDER -> true;
            case NEWER -> false;
            case SAME_SECOND -> !slackAccepts(accessToken);
        };
    }

    /** {@code auth.test}: false when Slack refuses the token (or cannot say: the event's word then stands). */
    protected boolean slackAccepts(SlackToken accessToken) {
        try {
            slack.authTest(accessToken);
            return true;
        } catch (SlackApiException e) {
            return false;
        }
    }
}
