using System.Management.Automation.Language;

namespace LabRunner.Providers.HyperV.Tests.Support;

/// <summary>The real PowerShell parser, for asserting what a rendered script is made of.</summary>
internal static class ScriptAst
{
    public static ScriptBlockAst Parse(string script)
    {
        var ast = Parser.ParseInput(script, out _, out var errors);
        Assert.True(errors.Length == 0, "parse errors: " + string.Join("; ", errors.Select(e => $"{e.Extent.StartLineNumber}:{e.Extent.StartColumnNumber} {e.Message}")));
        return ast;
    }

    public static IEnumerable<T> All<T>(Ast ast) where T : Ast => ast.FindAll(a => a is T, searchNestedScriptBlocks: true).Cast<T>();

    /// <summary>Every command argument that is a constant, with the parameter it is bound to (null when positional).</summary>
    public static IEnumerable<(CommandAst Command, string? Parameter, StringConstantExpressionAst Value)> ConstantArguments(Ast ast)
    {
        foreach (var command in All<CommandAst>(ast))
        {
            string? parameter = null;
            foreach (var element in command.CommandElements.Skip(1))
            {
                switch (element)
                {
                    case CommandParameterAst p:
                        parameter = p.ParameterName;
                        if (p.Argument is StringConstantExpressionAst inline) yield return (command, parameter, inline);
                        break;
                    case StringConstantExpressionAst s:
                        yield return (command, parameter, s);
                        parameter = null;
                        break;
                    default:
                        parameter = null;
                        break;
                }
            }
        }
    }
}
