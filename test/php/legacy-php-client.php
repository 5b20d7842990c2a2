<?php
// A backend written the way the original phpWebSocketServer PHP client works
// (our own code, same wire behaviour): a hand-made handshake with
// Client-Type: php and Ident, fread(1024) for the 101 and again for `ready`,
// fread(8192) for every later read with only the first frame decoded,
// masked frames of which only the first is a text frame (later ones go out
// as FIN + opcode 0, as its encoder does), stop-and-wait on `next`, and a
// 2 s read timeout. PHP's own buffered stream reads are the point.
//
// Usage: php legacy-php-client.php PORT fresh N UUID      N fresh connections, one feedback each
//        php legacy-php-client.php PORT receive N IDENT   register IDENT, print when N messages came
//        php legacy-php-client.php PORT send N IDENT      N messages to IDENT on one connection
// With a 5th argument `paced`, the receiver prints "got I" after each message
// and the sender sends its next message only after a line on stdin, so a test
// can hand over one message at a time, whatever the machine's load.

final class LegacyClient {
    public $socket;
    public $connected = false;
    public $uuid = '';
    /** The `ready` read ran into the 2 s timeout (the data was there, PHP waited for more). */
    public $stalled = false;
    private $sentOne = false;

    public function __construct(int $port, string $ident = '') {
        $this->socket = stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 5);
        if (!$this->socket) return;
        $key = base64_encode(random_bytes(16));
        fwrite($this->socket, implode("\r\n", [
            'GET /php HTTP/1.1', 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade',
            "Sec-WebSocket-Key: $key", 'Origin: http://127.0.0.1', 'Sec-WebSocket-Version: 13',
            'Client-Type: php', "Ident: $ident",
        ]) . "\r\n\r\n");
        $head = fread($this->socket, 1024);
        if (strpos($head, 'HTTP/1.1 101') !== 0) return;
        stream_set_timeout($this->socket, 2);
        $ready = json_decode($this->payload(fread($this->socket, 1024)));
        $this->stalled = stream_get_meta_data($this->socket)['timed_out'];
        if (!$ready || $ready->opcode !== 'ready') return;
        $this->uuid = $ready->uuid;
        $this->connected = true;
    }

    private function payload($frame): string {
        if (!is_string($frame) || strlen($frame) < 2) return '';
        $length = ord($frame[1]) & 127;
        $offset = 2;
        if ($length === 126) { $length = unpack('n', substr($frame, 2, 2))[1]; $offset = 4; }
        elseif ($length === 127) { $length = unpack('J', substr($frame, 2, 8))[1]; $offset = 10; }
        return substr($frame, $offset, $length);
    }

    private function frame(string $text, bool $close = false): string {
        $first = $close ? 0x88 : ($this->sentOne ? 0x80 : 0x81);
        if (!$close) $this->sentOne = true;
        $length = strlen($text);
        $head = chr($first) . ($length < 126 ? chr(0x80 | $length) : chr(0x80 | 126) . pack('n', $length));
        $mask = random_bytes(4);
        $masked = '';
        for ($i = 0; $i < $length; $i++) $masked .= $text[$i] ^ $mask[$i % 4];
        return $head . $mask . $masked;
    }

    /** One read as the original does: fread(8192), first frame only. */
    public function read(): string {
        $data = fread($this->socket, 8192);
        if (stream_get_meta_data($this->socket)['timed_out']) return '';
        return $this->payload($data);
    }

    public function talk(array $packet): bool {
        fwrite($this->socket, $this->frame(json_encode($packet)));
        $answer = json_decode($this->read());
        return $answer && $answer->opcode === 'next';
    }

    public function close(): void {
        fwrite($this->socket, $this->frame('', true));
        fclose($this->socket);
    }
}

[$script, $port, $mode, $count, $target] = $argv;
// receive ... paced: say "got N" after each message; send ... paced: wait for a line on stdin before each.
$paced = ($argv[5] ?? '') === 'paced';
$port = (int) $port;
$count = (int) $count;
if ($mode === 'fresh') {
    $ok = 0;
    $stalled = 0;
    for ($i = 0; $i < $count; $i++) {
        $client = new LegacyClient($port);
        if ($client->stalled) $stalled++;
        if ($client->connected && $client->talk(['opcode' => 'feedback', 'uuid' => $target, 'message' => "fresh $i"])) $ok++;
        $client->close();
    }
    printf("fresh ok=%d stalled=%d\n", $ok, $stalled);
} elseif ($mode === 'receive') {
    $client = new LegacyClient($port, $target);
    echo $client->connected ? "listening\n" : "not connected\n";
    $got = 0;
    $deadline = time() + 20;
    while ($got < $count && time() < $deadline) {
        $packet = json_decode($client->read());
        if ($packet && $packet->opcode === 'feedback') {
            $got++;
            if ($paced) echo "got $got\n";
        }
    }
    printf("received=%d\n", $got);
} else {
    $client = new LegacyClient($port);
    $ok = 0;
    for ($i = 0; $i < $count; $i++) {
        if ($paced && fgets(STDIN) === false) break;
        if ($client->talk(['opcode' => 'feedback', 'ident' => $target, 'uuid' => '', 'message' => "to $target $i"])) $ok++;
    }
    printf("sent ok=%d\n", $ok);
    $client->close();
}
