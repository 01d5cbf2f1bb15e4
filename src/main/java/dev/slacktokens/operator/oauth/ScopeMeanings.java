package dev.slacktokens.operator.oauth;

import java.util.Map;
import java.util.Optional;

/**
 * One line per Slack scope, for the person deciding on the confirmation page: what a token with it lets a workload do
 * as them (Slack's own scope descriptions, said to the Slack user). A scope not listed is shown by its name only.
 */
final class ScopeMeanings {

    private static final Map<String, String> MEANINGS = Map.ofEntries(
            Map.entry("bookmarks:read", "List bookmarks in channels you are in"),
            Map.entry("bookmarks:write", "Add, edit and remove bookmarks as you"),
            Map.entry("calls:read", "View information about ongoing and past calls"),
            Map.entry("calls:write", "Start and manage calls as you"),
            Map.entry("channels:history", "Read messages and other content in public channels you are in"),
            Map.entry("channels:read", "View basic information about public channels in the workspace"),
            Map.entry("channels:write", "Manage your public channels and create new ones as you"),
            Map.entry("chat:write", "Send messages as you"),
            Map.entry("dnd:read", "View Do Not Disturb settings of people in the workspace"),
            Map.entry("dnd:write", "Change your Do Not Disturb settings"),
            Map.entry("emoji:read", "View the workspace's custom emoji"),
            Map.entry("files:read", "View files shared in channels and conversations you are in"),
            Map.entry("files:write", "Upload, edit and delete files as you"),
            Map.entry("groups:history", "Read messages and other content in private channels you are in"),
            Map.entry("groups:read", "View basic information about private channels you are in"),
            Map.entry("groups:write", "Manage your private channels and create new ones as you"),
            Map.entry("identity.basic", "View your identity (name and user id)"),
            Map.entry("im:history", "Read messages and other content in your direct messages"),
            Map.entry("im:read", "View basic information about your direct messages"),
            Map.entry("im:write", "Start direct messages with people as you"),
            Map.entry("links:read", "View URLs in messages"),
            Map.entry("links:write", "Show previews of URLs in messages"),
            Map.entry("mpim:history", "Read messages and other content in your group direct messages"),
            Map.entry("mpim:read", "View basic information about your group direct messages"),
            Map.entry("mpim:write", "Start group direct messages with people as you"),
            Map.entry("pins:read", "View pinned content in channels and conversations you are in"),
            Map.entry("pins:write", "Pin and unpin messages and files as you"),
            Map.entry("reactions:read", "View emoji reactions in channels and conversations you are in"),
            Map.entry("reactions:write", "Add and remove emoji reactions as you"),
            Map.entry("reminders:read", "View your reminders"),
            Map.entry("reminders:write", "Add, remove and complete your reminders"),
            Map.entry("remote_files:read", "View remote files added by apps"),
            Map.entry("search:read", "Search the workspace's content that you can see"),
            Map.entry("stars:read", "View your saved items"),
            Map.entry("stars:write", "Add and remove your saved items"),
            Map.entry("team:read", "View the workspace's name, email domain and icon"),
            Map.entry("usergroups:read", "View user groups in the workspace"),
            Map.entry("usergroups:write", "Create and manage user groups as you"),
            Map.entry("users.profile:read", "View profile details of people in the workspace"),
            Map.entry("users.profile:write", "Edit your profile and status"),
            Map.entry("users:read", "View people in the workspace"),
            Map.entry("users:read.email", "View the email addresses of people in the workspace"),
            Map.entry("users:write", "Set your presence"));

    private ScopeMeanings() {
    }

    static Optional<String> of(String scope) {
        return Optional.ofNullable(MEANINGS.get(scope));
    }
}
