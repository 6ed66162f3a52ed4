using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;

namespace LabRunner.Core.Tracing;

/// <summary>
/// Takes secrets out of text before it is shown or kept (<c>--verbose</c>, <c>.lab/logs/</c>), twice over:
/// by value — each secret the run knows (<see cref="Add"/>: the Windows administrator password), also in the
/// forms a value takes on its way to the host (a PowerShell or shell literal, XML, JSON, base64) — and by
/// shape, for secrets nobody registered: PEM and OpenSSH private keys, cloud-init and unattend bodies,
/// <c>password=…</c>-like assignments and options, credentials and tokens in URLs, and long base64 blobs.
/// </summary>
public sealed partial class SecretRedactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mark = "[redacted]";

    /// <summary>Shorter values are not replaced by value: they would blank ordinary words (shapes still apply).</summary>
    public const int MinimumLength = 4;

    private readonly Lock _gate = new();
    private ImmutableArray<string> _values = [];

    /// <summary>Registers <paramref name="secret"/> (null, empty and values under <see cref="MinimumLength"/> are ignored).</summary>
    public void Add(string? secret)
    {
        if (secret is null || secret.Length < MinimumLength) return;
        lock (_gate)
        {
            var forms = new HashSet<string>(_values, StringComparer.Ordinal);
            foreach (var form in FormsOf(secret))
                if (form.Length >= MinimumLength) forms.Add(form);
            // Longest first, so a secret that contains another is replaced whole.
            _values = [.. forms.OrderByDescending(f => f.Length).ThenBy(f => f, StringComparer.Ordinal)];
        }
    }

    /// <summary><paramref name="text"/> with every known secret and every secret-shaped part replaced.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ImmutableArray<string> values;
        lock (_gate) values = _values;
        foreach (var value in values)
            text = text.Replace(value, Mark, StringComparison.Ordinal);
        text = PrivateKey().Replace(text, "-----BEGIN $1PRIVATE KEY-----" + Mark + "-----END $1PRIVATE KEY-----");
        text = SeedBody().Replace(text, m => $"{m.Groups[1].Value}{Mark} ({m.Length} characters of seed content)");
        text = XmlSecret().Replace(text, m => $"<{m.Groups[1].Value}>{Mark}</{m.Groups[1].Value}>");
        text = Assignment().Replace(text, m => m.Groups[1].Value + m.Groups[2].Value + Mark);
        text = UrlCredentials().Replace(text, "$1" + Mark + "@");
        text = UrlToken().Replace(text, "$1" + Mark);
        text = Base64Blob().Replace(text, m => IsBlob(m.Value) ? $"{Mark} ({m.Length} characters of base64)" : m.Value);
        return text;
    }

    /// <summary>
    /// An argument vector with each argument redacted, and the value after an option named like a secret
    /// (<c>--password X</c>, <c>-Token X</c>) replaced whole.
    /// </summary>
    public ImmutableArray<string> RedactArguments(IEnumerable<string> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        var result = ImmutableArray.CreateBuilder<string>();
        var secretNext = false;
        foreach (var argument in argv)
        {
            result.Add(secretNext ? Mark : Redact(argument));
            secretNext = SecretOption().IsMatch(argument);
        }
        return result.ToImmutable();
    }

    /// <summary>The forms a secret takes in the text a host call carries.</summary>
    private static IEnumerable<string> FormsOf(string secret)
    {
        yield return secret;
        // A PowerShell single-quoted literal doubles every quote character it knows (' ‘ ’ ‚ ‛).
        var ps = new StringBuilder();
        foreach (var c in secret)
        {
            ps.Append(c);
            if (c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B') ps.Append(c);
        }
        yield return ps.ToString();
        // A POSIX shell single-quoted word, as HostCommand renders one.
        yield return secret.Replace("'", "'\\''", StringComparison.Ordinal);
        yield return System.Security.SecurityElement.Escape(secret);
        yield return System.Text.Json.JsonEncodedText.Encode(secret, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value;
        yield return Convert.ToBase64String(Encoding.UTF8.GetBytes(secret));
        yield return Convert.ToBase64String(Encoding.Unicode.GetBytes(secret));
        // Line endings a text writer may normalise.
        yield return secret.ReplaceLineEndings("\n");
    }

    /// <summary>Random base64 mixes cases and digits; paths, names and hex checksums do not.</summary>
    private static bool IsBlob(string run) =>
        run.Any(char.IsAsciiLetterUpper) && run.Any(char.IsAsciiLetterLower) && run.Any(char.IsAsciiDigit);

    [GeneratedRegex(@"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\z)", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex PrivateKey();

    /// <summary>A cloud-init or unattend body: from its first line to the end of the text that carries it.</summary>
    [GeneratedRegex(@"(?<=^|[\s'""=])(#cloud-config|instance-id:|<\?xml[^>]*\?>\s*<unattend|<unattend).*\z", RegexOptions.Singleline | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SeedBody();

    [GeneratedRegex(@"<((?:\w+:)?\w*(?:Password|Passphrase|Secret|Token)\w*)\b[^>/]*>.*?</\1\s*>", RegexOptions.Singleline | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex XmlSecret();

    [GeneratedRegex(@"(\b[\w-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|credential)s?\b[""']?)(\s*[:=]\s*)(?:""[^""\n]*""?|'[^'\n]*'?|[^\s&;,'""]+)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Assignment();

    [GeneratedRegex(@"^-{1,2}[\w-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|credential)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SecretOption();

    [GeneratedRegex(@"\b([a-z][a-z0-9+.-]*://)[^/\s:@]*:[^/\s@]*@", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex UrlCredentials();

    [GeneratedRegex(@"([?&#][\w.-]*(?:token|sig|signature|key|password|secret|auth|code|credential)[\w.-]*=)[^&#\s'""]+", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex UrlToken();

    [GeneratedRegex(@"[A-Za-z0-9+/]{40,}={0,2}", RegexOptions.CultureInvariant)]
    private static partial Regex Base64Blob();
}
