using LabRunner.Core.Diagnostics;

namespace LabRunner.Core.Tests;

/// <summary>Text from outside (catalogs, archives, servers) as messages quote it: nothing in it can drive the terminal.</summary>
public class OutsideTextTests
{
    [Theory]
    [InlineData("amd64\u001b]0;pwned\u0007", "amd64\\x1b]0;pwned\\x07")]
    [InlineData("a\nlab: error: forged", "a\\nlab: error: forged")]
    [InlineData("tab\there\r", "tab\\there\\r")]
    [InlineData("\u009b31m", "\\x9b31m")]
    [InlineData("evil\u202Etxt.box", "evil\\u202etxt.box")]
    [InlineData("zero\u200Bwidth", "zero\\u200bwidth")]
    [InlineData("plain amd64 and ünïcode", "plain amd64 and ünïcode")]
    public void Control_and_formatting_characters_are_shown_escaped(string text, string expected)
    {
        Assert.Equal(expected, OutsideText.Escape(text));
    }

    [Fact]
    public void Escaping_twice_changes_nothing_more()
    {
        var once = OutsideText.Escape("x\u001b[2Jy\n");

        Assert.Equal(once, OutsideText.Escape(once));
    }

    [Fact]
    public void Long_text_is_cut_unless_the_caller_allows_it()
    {
        var text = new string('a', OutsideText.MaxLength + 100);

        Assert.Equal(new string('a', OutsideText.MaxLength) + "…", OutsideText.Escape(text));
        Assert.Equal(text, OutsideText.Escape(text, int.MaxValue));
        Assert.Equal("", OutsideText.Escape(null));
    }
}
