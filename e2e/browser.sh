# shellcheck shell=bash
# A curl browser for the OAuth flow, shared by the e2e suites and the demo (deploy/demo.sh).

# press_consent <link> <cookie jar> [curl args...]: opens the authorize link (the confirmation page, which sets the
# flow cookie), presses its button (a POST of the form's hidden state) and follows Slack's consent to the callback;
# prints the last page and, on a line of its own at the end, its HTTP status (0 if there was no form to press).
# Extra curl arguments go to every request (e.g. --connect-to to reach cluster names through a port-forward).
press_consent() {
  local link="$1" jar="$2" page state action; shift 2
  page=$(curl -s -c "$jar" -b "$jar" "$@" "$link" || true)
  state=$(grep -o 'name="state" value="[^"]*"' <<<"$page" | cut -d'"' -f4 || true)
  action=$(grep -o '<form method="post" action="[^"]*"' <<<"$page" | cut -d'"' -f4 || true)
  if [ -z "$state" ] || [ -z "$action" ]; then printf '%s\n0\n' "$page"; return; fi
  curl -s -L -c "$jar" -b "$jar" "$@" --data-urlencode "state=$state" -w '\n%{http_code}' "$action" || printf '\n0\n'
}
