<?php
// A PHP job reporting progress over the original v1 protocol (the
// websocketPhp API; the tests load the stand-in of that class) to a Pusher
// channel: feedback with "channel" and "event" instead of a uuid.
// Usage: php v1-channel-progress.php WEBSOCKETPHP.php PORT CHANNEL
require $argv[1];
$ws = new websocketPhp('ws://127.0.0.1:' . $argv[2] . '/php', 'import-job');
if (!$ws->connected) {
    fwrite(STDERR, "not connected\n");
    exit(1);
}
for ($step = 1; $step <= 3; $step++) {
    $ws->talk(['opcode' => 'feedback', 'channel' => $argv[3], 'event' => 'progress',
        'message' => "step $step of 3", 'progress' => ['done' => $step, 'total' => 3]]);
}
echo "sent 3\n";
