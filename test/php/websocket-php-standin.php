<?php
// A stand-in for the original phpWebSocketServer class `websocketPhp`
// (phpClient/websocketPhp.php, not part of this repository), written here
// with the same public API and wire behaviour, so the php2php/README.md
// examples can run in the tests: new websocketPhp($address, $ident),
// feedback($message, $ident) with stop-and-wait on `next`, readSocket()
// returning the text of the next frame ('' on timeout). Later messages go
// out as FIN + opcode 0, as the original's encoder does. Unlike the original,
// frames that arrive in one read are kept for the next readSocket(), so the
// tests do not depend on php-cli keeping up with backendFrameGap on a busy
// machine (that rate is a figure: bench/php-burst.ts).

class websocketPhp {
    public $connected = false;
    public $uuid = '';
    public $fromUUID = '';
    private $socket;
    private $sentOne = false;

    function __construct($address, $ident = '') {
        if (!preg_match('{^(tcp|ssl|ws|wss)://([^:/]+)(?::(\d+))?(/.*)?$}', $address, $m)) return;
        $tls = $m[1] === 'ssl' || $m[1] === 'wss';
        $port = $m[3] !== '' ? $m[3] : ($tls ? 443 : 80);
        $path = $m[4] ?? '/php';
        $this->socket = @stream_socket_client(($tls ? 'ssl' : 'tcp') . "://{$m[2]}:$port", $errno, $error, 5);
        if (!$this->socket) return;
        $key = base64_encode(random_bytes(16));
        fwrite($this->socket, "GET $path HTTP/1.1\r\nHost: {$m[2]}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            . "Sec-WebSocket-Key: $key\r\nSec-WebSocket-Version: 13\r\nClient-Type: php\r\nIdent: $ident\r\n\r\n");
        if (strpos((string) fread($this->socket, 1024), 'HTTP/1.1 101') !== 0) return;
        stream_set_timeout($this->socket, 2);
        $ready = json_decode($this->readSocket());
        if (!$ready || $ready->opcode !== 'ready') return;
        $this->fromUUID = $ready->uuid;
        $this->connected = true;
    }

    function feedback($message, $otherIdent = '') {
        $this->talk(['opcode' => 'feedback', 'ident' => $otherIdent, 'uuid' => $this->uuid,
            'message' => $message, 'fromUUID' => $this->fromUUID]);
    }

    function talk($packet) {
        if (!$this->connected) return false;
        $this->writeSocket(json_encode((object) $packet, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES));
        $ack = json_decode($this->readSocket());
        return $ack && $ack->opcode === 'next';
    }

    private $pending = '';

    function readSocket() {
        while (($size = $this->frameSize($this->pending)) === 0) {
            $data = fread($this->socket, 8192);
            if ($data === false || $data === '') return '';
            $this->pending .= $data;
        }
        $frame = substr($this->pending, 0, $size);
        $this->pending = substr($this->pending, $size);
        return $this->payload($frame);
    }

    /** Bytes of the first whole (unmasked) frame in $data; 0 while it is incomplete. */
    private function frameSize($data) {
        if (strlen($data) < 2) return 0;
        $length = ord($data[1]) & 127;
        $offset = 2;
        if ($length === 126) { if (strlen($data) < 4) return 0; $length = unpack('n', substr($data, 2, 2))[1]; $offset = 4; }
        elseif ($length === 127) { if (strlen($data) < 10) return 0; $length = unpack('J', substr($data, 2, 8))[1]; $offset = 10; }
        return strlen($data) >= $offset + $length ? $offset + $length : 0;
    }

    function writeSocket($text) {
        $head = chr($this->sentOne ? 0x80 : 0x81);
        $this->sentOne = true;
        $length = strlen($text);
        if ($length < 126) $head .= chr(0x80 | $length);
        elseif ($length < 65536) $head .= chr(0x80 | 126) . pack('n', $length);
        else $head .= chr(0x80 | 127) . pack('J', $length);
        $mask = random_bytes(4);
        $masked = '';
        for ($i = 0; $i < $length; $i++) $masked .= $text[$i] ^ $mask[$i % 4];
        fwrite($this->socket, $head . $mask . $masked);
    }

    private function payload($frame) {
        if (!is_string($frame) || strlen($frame) < 2) return '';
        $length = ord($frame[1]) & 127;
        $offset = 2;
        if ($length === 126) { $length = unpack('n', substr($frame, 2, 2))[1]; $offset = 4; }
        elseif ($length === 127) { $length = unpack('J', substr($frame, 2, 8))[1]; $offset = 10; }
        return substr($frame, $offset, $length);
    }
}
