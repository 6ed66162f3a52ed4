using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Labfile;

namespace LabRunner.Guest.Ssh;

/// <summary>
/// A key pair as text: the public key as one OpenSSH line (what goes into <c>authorized_keys</c> and
/// the seed) and the private key as PEM (what the CLI writes to <c>.lab/</c> with owner-only access).
/// </summary>
public sealed record SshKeyPair(string PublicKey, string PrivateKeyPem)
{
    /// <summary>OpenSSH's fingerprint of the public key (<c>SHA256:…</c>), as <c>ssh-keygen -l</c> prints it.</summary>
    public string Fingerprint => SshKeys.Fingerprint(PublicKey);

    /// <summary>Never prints the private key.</summary>
    public override string ToString() => PublicKey;
}

/// <summary>
/// The per-lab SSH key. ECDSA P-256 rather than RSA: .NET has no Ed25519, and P-256 is the next best
/// choice — generated in well under a millisecond (RSA-3072 takes tens to hundreds), a short
/// one-line public key that fits a Windows FirstLogonCommand, 128-bit security like RSA-3072, and
/// accepted by every OpenSSH since 5.7 including Windows' own OpenSSH. The private key is SEC1 PEM
/// (<c>BEGIN EC PRIVATE KEY</c>), which OpenSSH and SSH.NET read without conversion.
/// </summary>
public static partial class SshKeys
{
    /// <summary>The file the CLI keeps the private key in, under <c>.lab/</c>; the public key goes next to it with <c>.pub</c>.</summary>
    public const string PrivateKeyFileName = "id_ecdsa";

    public static string Comment(string lab) => $"labrunner@{lab}";

    /// <summary>A new key pair for <paramref name="lab"/>, commented <c>labrunner@&lt;lab&gt;</c>.</summary>
    public static SshKeyPair Generate(string lab)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new SshKeyPair(PublicKeyLine(key, Comment(lab)), WithFinalNewline(key.ExportECPrivateKeyPem()));
    }

    /// <summary>
    /// Reads an existing private key (such as <c>.lab/id_ecdsa</c>) and derives its public key line, so a
    /// lab keeps its key across runs. Accepts unencrypted PEM: SEC1 EC, PKCS#1 RSA, or PKCS#8 of either.
    /// Problems are reported as LAB604 at the key file; the key's content never appears in a message.
    /// </summary>
    public static SshKeyPair? Load(SourceText privateKey, string comment, ICollection<Diagnostic> diagnostics)
    {
        var span = SourceSpan.None(privateKey.Path);
        var pem = privateKey.Text;
        if (!PemEncoding.TryFind(pem, out var fields))
        {
            diagnostics.Add(DiagnosticBuilder.SshKeyUnreadable(span, pem.Contains("BEGIN OPENSSH PRIVATE KEY", StringComparison.Ordinal)
                ? "it is in OpenSSH's own format; LabRunner reads PEM keys (convert with: ssh-keygen -p -m PEM -f FILE)"
                : "it holds no PEM private key"));
            return null;
        }
        var label = pem[fields.Label];
        if (label is "OPENSSH PRIVATE KEY")
        {
            diagnostics.Add(DiagnosticBuilder.SshKeyUnreadable(span, "it is in OpenSSH's own format; LabRunner reads PEM keys (convert with: ssh-keygen -p -m PEM -f FILE)"));
            return null;
        }
        if (label is "ENCRYPTED PRIVATE KEY" || pem.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
        {
            diagnostics.Add(DiagnosticBuilder.SshKeyUnreadable(span, "it is protected by a passphrase, which an unattended 'lab up' cannot type"));
            return null;
        }
        try
        {
            string? line = label switch
            {
                "EC PRIVATE KEY" => FromEc(pem, comment),
                "RSA PRIVATE KEY" => FromRsa(pem, comment),
                "PRIVATE KEY" => TryEc(pem, comment) ?? FromRsa(pem, comment),
                _ => null,
            };
            if (line is null)
            {
                diagnostics.Add(DiagnosticBuilder.SshKeyUnreadable(span, $"a PEM block labelled '{DiagnosticText(label)}' is not a private key LabRunner can use"));
                return null;
            }
            return new SshKeyPair(line, WithFinalNewline(pem));
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or NotSupportedException)
        {
            diagnostics.Add(DiagnosticBuilder.SshKeyUnreadable(span, "the key data is damaged or uses an unsupported curve (ECDSA P-256/384/521 and RSA are supported)"));
            return null;
        }
    }

    /// <summary>The OpenSSH one-line form of an ECDSA public key: <c>ecdsa-sha2-nistp256 AAAA… comment</c>.</summary>
    public static string PublicKeyLine(ECDsa key, string comment)
    {
        var p = key.ExportParameters(includePrivateParameters: false);
        var curve = p.Curve.Oid.Value switch
        {
            "1.2.840.10045.3.1.7" => "nistp256",
            "1.3.132.0.34" => "nistp384",
            "1.3.132.0.35" => "nistp521",
            _ => throw new NotSupportedException("OpenSSH supports ECDSA keys on P-256, P-384 and P-521 only."),
        };
        var type = "ecdsa-sha2-" + curve;
        // RFC 5656: string type, string curve, string Q (uncompressed point 04 || X || Y).
        var point = new byte[1 + p.Q.X!.Length + p.Q.Y!.Length];
        point[0] = 0x04;
        p.Q.X.CopyTo(point, 1);
        p.Q.Y.CopyTo(point, 1 + p.Q.X.Length);
        return Line(type, Blob(Text(type), Text(curve), point), comment);
    }

    /// <summary>The OpenSSH one-line form of an RSA public key: <c>ssh-rsa AAAA… comment</c>.</summary>
    public static string PublicKeyLine(RSA key, string comment)
    {
        var p = key.ExportParameters(includePrivateParameters: false);
        // RFC 4253: string "ssh-rsa", mpint e, mpint n.
        return Line("ssh-rsa", Blob(Text("ssh-rsa"), MpInt(p.Exponent!), MpInt(p.Modulus!)), comment);
    }

    /// <summary>
    /// True for one OpenSSH public key line made only of characters that are inert in YAML, XML and a
    /// quoted PowerShell or cmd command line: a key type, the Base64 key, and an optional plain comment.
    /// </summary>
    public static bool IsPublicKeyLine(string? line) => line is not null && PublicKeyPattern().IsMatch(line);

    /// <summary><c>SHA256:</c> and the unpadded Base64 of the key blob's SHA-256, as OpenSSH prints fingerprints.</summary>
    public static string Fingerprint(string publicKeyLine)
    {
        var parts = publicKeyLine.Split(' ');
        if (parts.Length < 2) throw new FormatException("not an OpenSSH public key line");
        var hash = SHA256.HashData(Convert.FromBase64String(parts[1]));
        return "SHA256:" + Convert.ToBase64String(hash).TrimEnd('=');
    }

    private static string FromEc(string pem, string comment)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return PublicKeyLine(key, comment);
    }

    private static string? TryEc(string pem, string comment)
    {
        try
        {
            return FromEc(pem, comment);
        }
        catch (CryptographicException)
        {
            return null; // A PKCS#8 key of another algorithm; the caller tries RSA next.
        }
    }

    private static string FromRsa(string pem, string comment)
    {
        using var key = RSA.Create();
        key.ImportFromPem(pem);
        return PublicKeyLine(key, comment);
    }

    private static string Line(string type, byte[] blob, string comment) =>
        comment.Length == 0 ? $"{type} {Convert.ToBase64String(blob)}" : $"{type} {Convert.ToBase64String(blob)} {comment}";

    private static byte[] Text(string s) => System.Text.Encoding.ASCII.GetBytes(s);

    /// <summary>An SSH mpint's bytes: big-endian, no leading zeros, a zero byte added when the top bit is set.</summary>
    private static byte[] MpInt(byte[] unsignedBigEndian)
    {
        var start = 0;
        while (start < unsignedBigEndian.Length - 1 && unsignedBigEndian[start] == 0) start++;
        var trimmed = unsignedBigEndian[start..];
        return (trimmed[0] & 0x80) != 0 ? [0, .. trimmed] : trimmed;
    }

    /// <summary>SSH wire format: each field as a 4-byte big-endian length and its bytes.</summary>
    private static byte[] Blob(params byte[][] fields)
    {
        var blob = new byte[fields.Sum(f => 4 + f.Length)];
        var offset = 0;
        foreach (var field in fields)
        {
            BinaryPrimitives.WriteInt32BigEndian(blob.AsSpan(offset), field.Length);
            field.CopyTo(blob, offset + 4);
            offset += 4 + field.Length;
        }
        return blob;
    }

    private static string WithFinalNewline(string pem) => pem.EndsWith('\n') ? pem : pem + "\n";

    private static string DiagnosticText(string label) => label.Length > 40 ? label[..40] : label;

    [GeneratedRegex(@"^(?:ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,2}(?: [A-Za-z0-9@._+=:,/-]+)?\z")]
    private static partial Regex PublicKeyPattern();
}
