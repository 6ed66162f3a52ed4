using System.Security.Cryptography;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Labfile;
using LabRunner.Guest.Ssh;
using LabRunner.Guest.Tests.Tools;

namespace LabRunner.Guest.Tests;

/// <summary>The per-lab key pair, checked by OpenSSH's own ssh-keygen.</summary>
public class SshKeyTests
{
    [Fact]
    public void A_generated_pair_is_an_ecdsa_line_and_a_sec1_pem()
    {
        var pair = SshKeys.Generate("webshop");

        Assert.Matches("^ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY[A-Za-z0-9+/]+=* labrunner@webshop$", pair.PublicKey);
        Assert.StartsWith("-----BEGIN EC PRIVATE KEY-----\n", pair.PrivateKeyPem, StringComparison.Ordinal);
        Assert.EndsWith("-----END EC PRIVATE KEY-----\n", pair.PrivateKeyPem, StringComparison.Ordinal);
        Assert.True(SshKeys.IsPublicKeyLine(pair.PublicKey));
        Assert.DoesNotContain("PRIVATE", pair.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Each_generated_pair_is_new()
    {
        Assert.NotEqual(SshKeys.Generate("a").PublicKey, SshKeys.Generate("a").PublicKey);
    }

    [ToolFact("ssh-keygen")]
    public void Ssh_keygen_derives_the_same_public_key_from_the_private_key()
    {
        var pair = SshKeys.Generate("lab1");
        using var temp = new Iso.TempDirectory();
        var dir = new DirectoryInfo(temp.Path);
        var file = WriteOwnerOnly(dir, "id_ecdsa", pair.PrivateKeyPem);

        var run = ExternalTool.Run("ssh-keygen", "-y", "-f", file);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(TypeAndKey(pair.PublicKey), TypeAndKey(run.StandardOutput.Trim()));
    }

    [ToolFact("ssh-keygen")]
    public void Ssh_keygen_accepts_the_public_key_and_agrees_on_its_fingerprint()
    {
        var pair = SshKeys.Generate("lab1");
        using var temp = new Iso.TempDirectory();
        var dir = new DirectoryInfo(temp.Path);
        var file = WriteOwnerOnly(dir, "id_ecdsa.pub", pair.PublicKey + "\n");

        var run = ExternalTool.Run("ssh-keygen", "-l", "-f", file);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal($"256 {pair.Fingerprint} labrunner@lab1 (ECDSA)", run.StandardOutput.Trim());
    }

    [Fact]
    public void Loading_a_generated_private_key_gives_back_its_public_key()
    {
        var pair = SshKeys.Generate("lab1");
        var diagnostics = new List<Diagnostic>();

        var loaded = SshKeys.Load(new SourceText(".lab/id_ecdsa", pair.PrivateKeyPem), SshKeys.Comment("lab1"), diagnostics);

        Assert.Empty(diagnostics);
        Assert.Equal(pair, loaded);
    }

    [Fact]
    public void Pkcs8_ecdsa_and_rsa_keys_load_too()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        var diagnostics = new List<Diagnostic>();

        var ecPair = SshKeys.Load(new SourceText("k", ec.ExportPkcs8PrivateKeyPem()), "c", diagnostics);
        var rsaPair = SshKeys.Load(new SourceText("k", rsa.ExportPkcs8PrivateKeyPem()), "c", diagnostics);

        Assert.Empty(diagnostics);
        Assert.Equal(SshKeys.PublicKeyLine(ec, "c"), ecPair!.PublicKey);
        Assert.StartsWith("ecdsa-sha2-nistp384 ", ecPair.PublicKey, StringComparison.Ordinal);
        Assert.Equal(SshKeys.PublicKeyLine(rsa, "c"), rsaPair!.PublicKey);
        Assert.StartsWith("ssh-rsa ", rsaPair.PublicKey, StringComparison.Ordinal);
    }

    [ToolFact("ssh-keygen")]
    public void Keys_made_by_ssh_keygen_in_pem_form_give_the_public_key_ssh_keygen_wrote()
    {
        foreach (var (type, bits) in new[] { ("ecdsa", "256"), ("ecdsa", "521"), ("rsa", "2048") })
        {
            using var temp = new Iso.TempDirectory();
            var dir = new DirectoryInfo(temp.Path);
            var file = Path.Combine(dir.FullName, "id");
            var made = ExternalTool.Run("ssh-keygen", "-q", "-t", type, "-b", bits, "-m", "PEM", "-N", "", "-C", "me@host", "-f", file);
            Assert.True(made.ExitCode == 0, made.ToString());
            var diagnostics = new List<Diagnostic>();

            var loaded = SshKeys.Load(new SourceText(file, File.ReadAllText(file)), "me@host", diagnostics);

            Assert.Empty(diagnostics);
            Assert.Equal(File.ReadAllText(file + ".pub").Trim(), loaded!.PublicKey);
        }
    }

    [ToolFact("ssh-keygen")]
    public void A_key_in_openssh_format_is_LAB604_with_the_conversion_command()
    {
        using var temp = new Iso.TempDirectory();
        var dir = new DirectoryInfo(temp.Path);
        var file = Path.Combine(dir.FullName, "id");
        ExternalTool.Run("ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", file);
        var text = File.ReadAllText(file);
        var diagnostics = new List<Diagnostic>();

        Assert.Null(SshKeys.Load(new SourceText(".lab/id_ecdsa", text), "c", diagnostics));

        var error = Assert.Single(diagnostics);
        Assert.Equal("LAB604", error.Code);
        Assert.Equal(".lab/id_ecdsa", error.Span.File);
        Assert.Contains("ssh-keygen -p -m PEM", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(text.Split('\n')[1], error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a key")]
    [InlineData("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    [InlineData("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")]
    public void An_unusable_key_file_is_LAB604(string text)
    {
        var diagnostics = new List<Diagnostic>();

        Assert.Null(SshKeys.Load(new SourceText(".lab/id_ecdsa", text), "c", diagnostics));

        Assert.Equal("LAB604", Assert.Single(diagnostics).Code);
    }

    [Theory]
    [InlineData("ecdsa-sha2-nistp256 AAAA labrunner@lab", true)]
    [InlineData("ssh-rsa AAAAB3NzaC1yc2E= me@host", true)]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", true)]
    [InlineData("ecdsa-sha2-nistp256 AAAA it's", false)]
    [InlineData("ecdsa-sha2-nistp256 AAAA a\"b", false)]
    [InlineData("ecdsa-sha2-nistp256 AAAA a\nssh-rsa BBBB", false)]
    [InlineData("ecdsa-sha2-nistp256 AAAA $(reboot)", false)]
    [InlineData("ecdsa-sha2-nistp256 AAAA %PATH%", false)]
    [InlineData("ecdsa-sha2-nistp256", false)]
    public void Only_plain_one_line_public_keys_are_accepted(string line, bool accepted) =>
        Assert.Equal(accepted, SshKeys.IsPublicKeyLine(line));

    [Fact]
    public void The_renderer_refuses_a_key_that_could_break_out_of_a_command_line()
    {
        var plan = Labs.Plan(Labs.Windows);
        Assert.Throws<ArgumentException>(() => new GuestConfigRenderer().Render(plan.Lab, plan.Vms[0], Labs.Secrets with { SshPublicKey = "ssh-rsa AAAA x\"; calc" }));
    }

    private static string TypeAndKey(string line) => string.Join(' ', line.Split(' ').Take(2));

    private static string WriteOwnerOnly(DirectoryInfo dir, string name, string text)
    {
        var path = Path.Combine(dir.FullName, name);
        File.WriteAllText(path, text);
        // ssh-keygen refuses private keys that others can read (and runs where Unix modes exist).
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
