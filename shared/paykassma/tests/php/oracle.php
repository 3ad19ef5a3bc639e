<?php
// The PHP side of the signature oracle (tests/php_oracle.rs). Real PHP decides what is right:
// the functions below are the gateway's own, as its documents give them.
//
//   php oracle.php gen-w N SEED      random objects, signed (W); JSON lines {json,key,sig}
//   php oracle.php verify-w          stdin JSON lines {json,key,sig}; prints {ok,php}
//   php oracle.php gen-p N SEED      random postbacks signed (P), sent with default flags; {body,ak,pk}
//   php oracle.php verify-p          stdin JSON lines {body,ak,pk}; prints {ok,php}
//   php oracle.php floats            stdin: 16 hex digits (big-endian double bits) a line;
//                                    prints {str, json} per line

ini_set('precision', '14');
ini_set('serialize_precision', '-1');

function multiImplode($glue, $array): string
{
    $finArray = [];
    foreach ($array as $val) {
        $finArray[] = is_array($val) ? multiImplode($glue, $val) : $val;
    }
    return implode($glue, $finArray);
}

function generateSignature(array $data, string $privateKey): string
{
    unset($data['signature']);
    ksort($data);
    $implode = multiImplode(':', $data);
    return sha1($privateKey . md5($implode));
}

function postbackSignature(string $ak, string $pk, $additionalData): string
{
    return sha1($ak . $pk . md5(json_encode($additionalData, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)));
}

const PIECES = ['a', 'b', 'Z', 'q', '0', '7', ' ', '/', '\\', '"', "'", ':', '<', '&', "\n", "\t", "\r", "\x00", "\x01",
    "\x08", "\x0c", "\x1f", "\x7f", 'é', '₹', 'ह', '😀', "\u{2028}", "\u{2029}", '€', 'ß', '中', '%', '+', '=', '?'];

function rndString(): string
{
    $s = '';
    $n = mt_rand(0, 12);
    for ($i = 0; $i < $n; $i++) {
        $s .= PIECES[mt_rand(0, count(PIECES) - 1)];
    }
    return $s;
}

function edgeScalar()
{
    $edges = [0.1 + 0.2, 762.0, 1e20, -0.0, 1.5e-7, 1 / 3, 1e15, 123456789012345.0, 0.0001, 0.00001, 1e14, 1e17,
        PHP_INT_MAX, PHP_INT_MIN, 0, -1, 99999999999999.99, 13628.5, 187239.195, -324324.00, 23.9375, 0.00025009,
        true, false, null, '', '/', '\\', '"', "\u{2028}", '😀', "\x00\x1f"];
    return $edges[mt_rand(0, count($edges) - 1)];
}

function rndScalar()
{
    switch (mt_rand(0, 13)) {
        case 0: return mt_rand(-1000000, 1000000);
        case 1: return (mt_rand(0, 1) ? 1 : -1) * (mt_rand(0, 2147483647) * 4294967296 + mt_rand(0, 2147483647));
        case 2: return mt_rand(-10000000, 10000000) / 100;
        case 3: return (mt_rand() / mt_getrandmax()) * pow(10, mt_rand(-12, 25)) * (mt_rand(0, 1) ? 1 : -1);
        case 4: case 5: return edgeScalar();
        case 6: return (bool) mt_rand(0, 1);
        case 7: return null;
        default: return rndString();
    }
}

function rndKey(bool $numericAllowed): string|int
{
    if ($numericAllowed && mt_rand(0, 5) === 0) {
        $numeric = ['0', '1', '2', '7', '10', '-3', '42', '1.5', '1e3', '-0.5', '100'];
        return $numeric[mt_rand(0, count($numeric) - 1)];
    }
    $letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_';
    $k = $letters[mt_rand(0, strlen($letters) - 2)];
    $n = mt_rand(0, 7);
    for ($i = 0; $i < $n; $i++) {
        $k .= $letters[mt_rand(0, strlen($letters) - 1)];
    }
    return $k;
}

function rndValue(int $depth)
{
    $r = mt_rand(0, 9);
    if ($depth < 3 && $r === 0) {
        $a = [];
        $n = mt_rand(0, 4);
        for ($i = 0; $i < $n; $i++) {
            $a[] = rndValue($depth + 1);
        }
        return $a;
    }
    if ($depth < 3 && $r === 1) {
        $a = [];
        $n = mt_rand(0, 4);
        for ($i = 0; $i < $n; $i++) {
            $a[rndKey(true)] = rndValue($depth + 1);
        }
        return $a;
    }
    return rndScalar();
}

function rndFlags(): int
{
    $all = [0, JSON_UNESCAPED_SLASHES, JSON_UNESCAPED_UNICODE, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE, JSON_PRETTY_PRINT];
    return $all[mt_rand(0, count($all) - 1)];
}

function out(array $row): void
{
    echo json_encode($row, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR), "\n";
}

function genW(int $n): void
{
    for ($c = 0; $c < $n; $c++) {
        $data = [rndKey(false) => rndValue(0)];
        $m = mt_rand(0, 7);
        for ($i = 0; $i < $m; $i++) {
            $data[rndKey(true)] = rndValue(0);
        }
        if ($c % 3 === 0) {
            $data['signature'] = sha1((string) $c); // must be left out of the preimage
        }
        $json = json_encode($data, rndFlags() | JSON_THROW_ON_ERROR);
        if ($c % 5 === 0) {
            // A number PHP cannot hold as an int: json_decode makes it a float.
            $json = '{"zbig":' . (mt_rand(0, 1) ? '12345678901234567890' : '-98765432109876543210') . ',' . substr($json, 1);
        }
        $key = rndString() . 'k' . $c;
        // What the gateway does on receipt: decode the JSON it was sent, sign the array.
        $sig = generateSignature(json_decode($json, true, 512, JSON_THROW_ON_ERROR), $key);
        out(['json' => $json, 'key' => $key, 'sig' => $sig]);
    }
}

function rndEntry(): array
{
    $e = [
        'activated_datetime' => '2023-08-15 21:29:01',
        'exchanger_identifier' => rndString(),
        'comment' => rndString(),
        'amount' => (string) (mt_rand(1, 10000000) / 100),
        'currency_code' => 'INR',
        'wallet_type' => 'upi_s',
        'stockpiling_id' => mt_rand(0, 3) ? mt_rand(1, 9999999) : null,
        'transaction_id' => (string) mt_rand(100000000000, 999999999999),
        'transaction_type' => 0,
        'plugin_custom_order_id' => rndString(),
        'withdrawal_id' => null,
        'withdrawal_status' => null,
        'account_number' => '',
        'account_name' => rndString(),
        'account_email' => '',
        'bank_details' => ['bank_code' => '', 'branch_code' => ''],
    ];
    $extra = mt_rand(0, 3);
    for ($i = 0; $i < $extra; $i++) {
        $e[rndKey(true)] = rndValue(1);
    }
    return $e;
}

function genP(int $n): void
{
    for ($c = 0; $c < $n; $c++) {
        $ak = 'AK' . rndKey(false) . $c;
        $pk = 'PK' . rndString() . $c;
        $ad = [];
        $m = mt_rand(1, 3);
        for ($i = 0; $i < $m; $i++) {
            $ad[] = rndEntry();
        }
        $body = [
            'signature' => postbackSignature($ak, $pk, $ad),
            'wallet_type' => 'upi_s',
            'amount' => rndScalar(),
            'currency_code' => 'INR',
            'label' => rndString(),
            'converted_amount' => ['USD' => mt_rand(1, 100000) / 100, 'INR' => mt_rand(1, 1000), 'BTC' => 0.00015943],
            'direction' => 'ingoing',
            'created_datetime' => '2023-08-25 10:47:40',
            'access_key' => $ak,
            'additional_data' => $ad,
        ];
        // The gateway sends with default flags (escaped slashes and Unicode); sometimes pretty.
        $flags = ($c % 7 === 0) ? JSON_PRETTY_PRINT : 0;
        out(['body' => json_encode($body, $flags | JSON_THROW_ON_ERROR), 'ak' => $ak, 'pk' => $pk]);
    }
}

function verifyW(): void
{
    while (($line = fgets(STDIN)) !== false) {
        $row = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
        $php = generateSignature(json_decode($row['json'], true, 512, JSON_THROW_ON_ERROR), $row['key']);
        out(['ok' => hash_equals($php, $row['sig']), 'php' => $php]);
    }
}

function verifyP(): void
{
    while (($line = fgets(STDIN)) !== false) {
        $row = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
        // Objects stay objects: re-encoding gives back the structure that was sent.
        $o = json_decode($row['body'], false, 512, JSON_THROW_ON_ERROR);
        $php = postbackSignature($row['ak'], $row['pk'], $o->additional_data);
        out(['ok' => hash_equals($php, $o->signature) && $o->access_key === $row['ak'], 'php' => $php]);
    }
}

function floats(): void
{
    while (($line = fgets(STDIN)) !== false) {
        $f = unpack('E', hex2bin(trim($line)))[1];
        out(['str' => (string) $f, 'json' => json_encode($f, JSON_THROW_ON_ERROR)]);
    }
}

$mode = $argv[1] ?? '';
if (isset($argv[3])) {
    mt_srand((int) $argv[3]);
}
match ($mode) {
    'gen-w' => genW((int) $argv[2]),
    'gen-p' => genP((int) $argv[2]),
    'verify-w' => verifyW(),
    'verify-p' => verifyP(),
    'floats' => floats(),
    default => fwrite(STDERR, "unknown mode\n") && exit(2),
};
