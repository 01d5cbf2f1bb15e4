package dev.slacktokens.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A Slack user, workspace or Enterprise Grid organization as Slack reported it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SlackEntity {

    @JsonPropertyDescription("Slack id (U.../W... for users, T... for workspaces, E... for organizations).")
    private String id;

    @JsonPropertyDescription("Display name as Slack reported it, when known.")
    private String name;

    public SlackEntity() {
    }

    public SlackEntity(String id, String name) {
        this.id = id;
        this.name = name;
    }

    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }
}
