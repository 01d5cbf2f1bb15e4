package dev.slacktokens.operator.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Observed state of a connection. Holds identities, times and scopes, never a token. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SlackUserConnectionStatus {

    @JsonPropertyDescription("The metadata.generation this status was computed for.")
    private Long observedGeneration;

    @JsonPropertyDescription("Current conditions. Type Ready: True while the workload Secret holds a valid token; "
            + "its reason is one of " + Reason.ALL_DESCRIBED + ".")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("Link the Slack user opens to authorize this connection, present while a consent is "
            + "needed.")
    private String authorizeUrl;

    @JsonPropertyDescription("The Slack user who authorized the token.")
    private SlackEntity user;

    @JsonPropertyDescription("The workspace the token belongs to (absent for an organization-wide install).")
    private SlackEntity team;

    @JsonPropertyDescription("The Enterprise Grid organization, when there is one.")
    private SlackEntity enterprise;

    @JsonPropertyDescription("User scopes Slack granted (may differ from those requested).")
    private List<String> grantedScopes;

    @JsonPropertyDescription("User scopes requested in spec.userScopes that Slack did not grant.")
    private List<String> missingScopes;

    @JsonPropertyDescription("When the current access token expires (RFC 3339); absent for non-rotating tokens.")
    private String expiresAt;

    @JsonPropertyDescription("When the operator plans the next refresh (RFC 3339).")
    private String refreshAt;

    @JsonPropertyDescription("When the token was last refreshed successfully (RFC 3339).")
    private String lastRefreshTime;

    @JsonPropertyDescription("Consecutive failed refresh attempts since the last success.")
    private Integer failedRefreshAttempts;

    @JsonPropertyDescription("When the last refresh attempt failed (RFC 3339).")
    private String lastFailureTime;

    @JsonPropertyDescription("Name of the workload Secret in this namespace that holds the access token.")
    private String secretName;

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public String getAuthorizeUrl() {
        return authorizeUrl;
    }

    public void setAuthorizeUrl(String authorizeUrl) {
        this.authorizeUrl = authorizeUrl;
    }

    public SlackEntity getUser() {
        return user;
    }

    public void setUser(SlackEntity user) {
        this.user = user;
    }

    public SlackEntity getTeam() {
        return team;
    }

    public void setTeam(SlackEntity team) {
        this.team = team;
    }

    public SlackEntity getEnterprise() {
        return enterprise;
    }

    public void setEnterprise(SlackEntity enterprise) {
        this.enterprise = enterprise;
    }

    public List<String> getGrantedScopes() {
        return grantedScopes;
    }

    public void setGrantedScopes(List<String> grantedScopes) {
        this.grantedScopes = grantedScopes;
    }

    public List<String> getMissingScopes() {
        return missingScopes;
    }

    public void setMissingScopes(List<String> missingScopes) {
        this.missingScopes = missingScopes;
    }

    public String getExpiresAt() {
        return expiresAt;
    }

    public void setExpiresAt(String expiresAt) {
        this.expiresAt = expiresAt;
    }

    public String getRefreshAt() {
        return refreshAt;
    }

    public void setRefreshAt(String refreshAt) {
        this.refreshAt = refreshAt;
    }

    public String getLastRefreshTime() {
        return lastRefreshTime;
    }

    public void setLastRefreshTime(String lastRefreshTime) {
        this.lastRefreshTime = lastRefreshTime;
    }

    public Integer getFailedRefreshAttempts() {
        return failedRefreshAttempts;
    }

    public void setFailedRefreshAttempts(Integer failedRefreshAttempts) {
        this.failedRefreshAttempts = failedRefreshAttempts;
    }

    public String getLastFailureTime() {
        return lastFailureTime;
    }

    public void setLastFailureTime(String lastFailureTime) {
        this.lastFailureTime = lastFailureTime;
    }

    public String getSecretName() {
        return secretName;
    }

    public void setSecretName(String secretName) {
        this.secretName = secretName;
    }
}
