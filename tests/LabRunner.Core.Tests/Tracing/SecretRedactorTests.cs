using System.Text;
using LabRunner.Core.Tracing;
using LabRunner.Providers.HyperV.Tests.Support;

namespace LabRunner.Core.Tests.Tracing;

public class SecretRedactorTests
{
    public static TheoryData<int> HostileIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Samples.Hostile.Length; i++) data.Add(i);
        return data;
    }

    /// <summary>A Windows-acceptable password around a hostile value.</summary>
    internal static string Password(int index) => $"Pw-{Samples.Hostile[index]}-9x";

    [Theory]
    [MemberData(nameof(HostileIndexes))]
    public void A_known_password_is_redacted_in_every_form_a_host_call_carries_it(int index)
    {
        var password = Password(index);
        var redactor = new SecretRedactor();
        redactor.Add(password);
        var psLiteral = "'" + password.Replace("'", "''", StringComparison.Ordinal).Replace("\u2019", "\u2019\u2019", StringComparison.Ordinal)
            .Replace("\u2018", "\u2018\u2018", StringComparison.Ordinal).Replace("\u201A", "\u201A\u201A", StringComparison.Ordinal)
            .Replace("\u201B", "\u201B\u201B", StringComparison.Ordinal) + "'";
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(password));
        var text = $"""
            raw: {password}
            $p = ConvertTo-SecureString {psLiteral} -AsPlainText -Force
            stdin line: {base64}
            xml: <Value>{System.Security.SecurityElement.Escape(password)}</Value>
            json: {System.Text.Json.JsonSerializer.Serialize(password)}
            """;

        var redacted = redactor.Redact(text);

        Assert.DoesNotContain(password, redacted, StringComparison.Ordinal);
        Assert.DoesNotContain(psLiteral[1..^1], redacted, StringComparison.Ordinal);
        Assert.DoesNotContain(base64, redacted, StringComparison.Ordinal);
        Assert.DoesNotContain(password.ReplaceLineEndings("\n"), redacted.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mark, redacted, StringComparison.Ordinal);
        Assert.StartsWith("raw: " + SecretRedactor.Mark, redacted, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(HostileIndexes))]
    public void A_known_password_is_redacted_inside_any_argument(int index)
    {
        var password = Password(index);
        var redactor = new SecretRedactor();
        redactor.Add(password);

        var argv = redactor.RedactArguments(["tool", "--user=admin", "prefix" + password + "suffix", password]);

        Assert.All(argv, a => Assert.DoesNotContain(password, a, StringComparison.Ordinal));
        Assert.Equal(["tool", "--user=admin", "prefix" + SecretRedactor.Mark + "suffix", SecretRedactor.Mark], argv.ToArray());
    }

    [Theory]
    [InlineData("--password", "hunter2-xyz")]
    [InlineData("-Password", "p")]
    [InlineData("--api-key", "abc")]
    [InlineData("-Token", "t0k")]
    public void The_value_after_an_option_named_like_a_secret_is_redacted_whole(string option, string value)
    {
        var argv = new SecretRedactor().RedactArguments(["tool", option, value, "next"]);

        Assert.Equal(["tool", option, SecretRedactor.Mark, "next"], argv.ToArray());
    }

    [Theory]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ")]
    [InlineData("key: -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7 truncated", "MIIEpAIBAAKCAQEA7")]
    [InlineData("password=Sup3r-s3cret&next=1", "Sup3r-s3cret")]
    [InlineData("Password: 'quoted secret'", "quoted secret")]
    [InlineData("$env:API_KEY = \"k-123\"", "k-123")]
    [InlineData("https://jane:hunter22@boxes.example/box.vhdx", "hunter22")]
    [InlineData("https://boxes.example/box.vhdx?token=abc123&x=1", "abc123")]
    [InlineData("https://boxes.example/box.vhdx?X-Amz-Signature=deadbeef00", "deadbeef00")]
    [InlineData("#cloud-config\nusers:\n  - name: lab\n    ssh_authorized_keys: [ssh-ed25519 AAAA]\n", "ssh_authorized_keys")]
    [InlineData("<?xml version=\"1.0\"?>\n<unattend xmlns=\"urn:schemas-microsoft-com:unattend\"><AdministratorPassword><Value>x</Value></AdministratorPassword></unattend>", "AdministratorPassword")]
    [InlineData("<AdministratorPassword><Value>Pa55-word</Value><PlainText>true</PlainText></AdministratorPassword>", "Pa55-word")]
    [InlineData("blob QWxhZGRpbjpvcGVuIHNlc2FtZSBhbmQgbW9yZSB0ZXh0IHRvIGJlIGxvbmc= end", "QWxhZGRpbjpvcGVuIHNlc2FtZSBhbmQgbW9yZSB0ZXh0IHRvIGJlIGxvbmc=")]
    public void Secrets_nobody_registered_are_redacted_by_shape(string text, string secret)
    {
        var redacted = new SecretRedactor().Redact(text);

        Assert.DoesNotContain(secret, redacted, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mark, redacted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ip -json addr show dev lr-shop-lan")]
    [InlineData("qemu-img create -f qcow2 -F qcow2 -b /var/lib/labrunner/boxes/ubuntu/24.04/box.qcow2 /home/jane/lab/.lab/vms/web/web.qcow2")]
    [InlineData("sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("Add-VMNetworkAdapter -VMName 'shop-web' -StaticMacAddress '02B594E56F3A'")]
    [InlineData("add rule inet labrunner nat_pre tcp dport 2222 dnat ip to 10.188.38.10:22 comment \"labrunner:v1 lab=shop\"")]
    public void Ordinary_commands_are_left_as_they_are(string text) =>
        Assert.Equal(text, new SecretRedactor().Redact(text));

    [Fact]
    public void Values_too_short_to_be_passwords_are_not_replaced_by_value()
    {
        var redactor = new SecretRedactor();
        redactor.Add("ip");
        redactor.Add(null);

        Assert.Equal("ip link show", redactor.Redact("ip link show"));
    }
}
