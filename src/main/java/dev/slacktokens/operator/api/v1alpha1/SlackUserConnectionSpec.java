package dev.slacktokens.operator.api.v1alpha1;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The desired Slack user token: what to ask Slack for and where to put the result. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SlackUserConnectionSpec {

    @Required
    @Size(min = 1, max = 100)
    @JsonPropertyDescription("Slack user scopes to request (sent as user_scope), e.g. chat:write, users:read. "
            + "At least one.")
    private List<@Size(min = 1, max = 100) @Pattern(Patterns.SCOPE) String> userScopes;

    @Size(max = 100)
    @JsonPropertyDescription("Slack bot scopes to request (sent as scope). When set, the bot token is stored too "
            + "and written to the workload Secret under bot_access_token.")
    private List<@Size(min = 1, max = 100) @Pattern(Patterns.SCOPE) String> botScopes;

    @Size(max = 2048)
    @ValidationRule(value = "isURL(self) && (url(self).getScheme() == 'https' || (url(self).getScheme() == 'http' "
            + "&& url(self).getHostname() in ['localhost', '127.0.0.1', '::1']))",
            message = "redirectUri must be an https URL (plain http is allowed only for localhost, 127.0.0.1 and [::1])")
    @JsonPropertyDescription("OAuth redirect URI sent identically to Slack's authorize page and to oauth.v2.access. "
            + "Must be https (http only for localhost) and match a Redirect URL of the Slack app. "
            + "Default: the operator's <publicUrl>/oauth/callback.")
    private String redirectUri;

    @JsonPropertyDescription("A Slack app of this connection's own, whose client secret lives in a Secret in this "
            + "namespace. Default: the operator's Slack app.")
    private SlackAppRef slackApp;

    @Pattern(Patterns.TEAM_ID)
    @JsonPropertyDescription("Expected workspace (T...) or Enterprise Grid organization (E...) id. Sent as team to "
            + "the authorize page and verified after the exchange: a consent given in another workspace is "
            + "rejected and its tokens revoked.")
    private String team;

    @Pattern(Patterns.USER_ID)
    @JsonPropertyDescription("Expected Slack user id (U... or W...). Verified after the exchange: a consent given by "
            + "another user is rejected and its tokens revoked.")
    private String user;

    @Size(min = 1, max = 253)
    @Pattern(Patterns.DNS_SUBDOMAIN)
    @JsonPropertyDescription("Name of the workload Secret written in this namespace. Default: the name of this "
            + "SlackUserConnection.")
    private String secretName;

    @JsonPropertyDescription("Extra labels and annotations for the workload Secret.")
    private SecretTemplate secretTemplate;

    @Size(max = 32)
    @Pattern(Patterns.DURATION)
    @ValidationRule(value = "duration(self) >= duration('1m') && duration(self) <= duration('11h')",
            message = "refreshBefore must be a duration between 1m and 11h, e.g. 2h or 90m")
    @JsonPropertyDescription("How long before expiry to refresh a rotating token, as a duration between 1m and 11h "
            + "(e.g. 2h, 90m). Clamped to at most half of the token's real lifetime. Default: the operator's "
            + "default (2h).")
    private String refreshBefore;

    @JsonPropertyDescription("What deleting this SlackUserConnection does to the tokens: Revoke (default) revokes "
            + "them at Slack and deletes the token store; Retain keeps the workload Secret with its last access "
            + "token and does not revoke.")
    private DeletionPolicy deletionPolicy;

    @JsonPropertyDescription("Convert an existing long-lived xoxp- user token into a rotating one with "
            + "oauth.v2.exchange instead of asking for a browser consent. Slack allows this once per token.")
    private ImportFrom importFrom;

    @JsonPropertyDescription("Use PKCE (S256) in the OAuth flow. Only for Slack apps that enabled PKCE: that makes "
            + "the app a public client and Slack then expires refresh tokens after 30 days.")
    private Boolean pkce;

    public List<String> getUserScopes() {
        return userScopes;
    }

    public void setUserScopes(List<String> userScopes) {
        this.userScopes = userScopes;
    }

    public List<String> getBotScopes() {
        return botScopes;
    }

    public void setBotScopes(List<String> botScopes) {
        this.botScopes = botScopes;
    }

    public String getRedirectUri() {
        return redirectUri;
    }

    public void setRedirectUri(String redirectUri) {
        this.redirectUri = redirectUri;
    }

    public SlackAppRef getSlackApp() {
        return slackApp;
    }

    public void setSlackApp(SlackAppRef slackApp) {
        this.slackApp = slackApp;
    }

    public String getTeam() {
        return team;
    }

    public void setTeam(String team) {
        this.team = team;
    }

    public String getUser() {
        return user;
    }

    public void setUser(String user) {
        this.user = user;
    }

    public String getSecretName() {
        return secretName;
    }

    public void setSecretName(String secretName) {
        this.secretName = secretName;
    }

    public SecretTemplate getSecretTemplate() {
        return secretTemplate;
    }

    public void setSecretTemplate(SecretTemplate secretTemplate) {
        this.secretTemplate = secretTemplate;
    }

    public String getRefreshBefore() {
        return refreshBefore;
    }

    public void setRefreshBefore(String refreshBefore) {
        this.refreshBefore = refreshBefore;
    }

    public DeletionPolicy getDeletionPolicy() {
        return deletionPolicy;
    }

    public void setDeletionPolicy(DeletionPolicy deletionPolicy) {
        this.deletionPolicy = deletionPolicy;
    }

    public ImportFrom getImportFrom() {
        return importFrom;
    }

    public void setImportFrom(ImportFrom importFrom) {
        this.importFrom = importFrom;
    }

    public Boolean getPkce() {
        return pkce;
    }

    public void setPkce(Boolean pkce) {
        this.pkce = pkce;
    }
}
