using System.Text;
using Spectre.Console;

namespace LabRunner.Cli.Rendering;

/// <summary>Lets System.CommandLine's help text go through the injected console, so tests capture it.</summary>
public sealed class AnsiTextWriter(IAnsiConsole console) : TextWriter
{
    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => console.Profile.Out.Writer.Write(value);

    public override void Write(string? value) => console.Profile.Out.Writer.Write(value);

    public override void WriteLine(string? value) => console.Profile.Out.Writer.WriteLine(value);
}
