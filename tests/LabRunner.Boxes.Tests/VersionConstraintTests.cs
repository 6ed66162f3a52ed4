using LabRunner.Core.Boxes;

namespace LabRunner.Boxes.Tests;

public class VersionConstraintTests
{
    [Theory]
    [InlineData("1.2.3", "1.2.3", true)]
    [InlineData("= 1.2.3", "1.2.3", true)]
    [InlineData("= 1.2", "1.2.0", true)]
    [InlineData("= 1.2.3", "1.2.4", false)]
    [InlineData(">= 1.2", "1.10", true)]
    [InlineData(">= 1.10", "1.9", false)]
    [InlineData("< 2", "1.99.99", true)]
    [InlineData("< 2", "2.0", false)]
    [InlineData("~> 1.2", "1.9.7", true)]
    [InlineData("~> 1.2", "2.0", false)]
    [InlineData("~> 1.2", "1.1", false)]
    [InlineData("~> 1.2.3", "1.2.9", true)]
    [InlineData("~> 1.2.3", "1.3.0", false)]
    [InlineData(">= 1.0, < 1.5", "1.4.9", true)]
    [InlineData(">= 1.0, < 1.5", "1.5", false)]
    [InlineData("!= 1.2", "1.2.0", false)]
    [InlineData("< 1.0", "1.0.rc1", true)]
    public void Constraints_follow_Vagrant(string constraint, string version, bool expected)
    {
        var c = VersionConstraint.Parse(constraint);

        Assert.Equal(expected, c.IsSatisfiedBy(BoxVersion.Parse(version)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("~>")]
    [InlineData(">= 1.2,")]
    [InlineData("=> 1.2")]
    [InlineData("1..2")]
    [InlineData("v1.2")]
    [InlineData("1.2/../x")]
    public void Malformed_constraints_are_refused_with_the_syntax(string text)
    {
        Assert.False(VersionConstraint.TryParse(text, out _, out var error));
        Assert.Contains("~>", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Newest_picks_the_highest_fitting_version_numerically()
    {
        var versions = new[] { "1.2.0", "1.10.0", "1.9.1", "2.0.0", "1.11.0.beta1" }.Select(BoxVersion.Parse);

        var newest = VersionConstraint.Parse("~> 1.2").Newest(versions);

        Assert.Equal("1.10.0", newest?.Text);
    }

    [Theory]
    [InlineData("sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08", true)]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", true)]
    [InlineData("sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709", true)]
    [InlineData("sha256:abc", false)]
    [InlineData("crc32:12345678", false)]
    [InlineData("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", false)]
    public void Checksums_are_ALGO_colon_HEX_of_the_right_length(string text, bool valid)
    {
        Assert.Equal(valid, Checksum.TryParse(text, out var checksum, out var error));
        if (valid) Assert.Equal(checksum!.Hex, checksum.Hex.ToLowerInvariant());
        else Assert.NotEmpty(error);
    }
}
