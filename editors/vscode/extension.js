// Starts `mlalert server` (the Language Server built into the mlalert
// binary) for YAML files. Settings: `mlalert.path`.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("mlalert").get("path") || "mlalert";
  const serverOptions = { command, args: ["server"] };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "yaml" }],
  };
  client = new LanguageClient("mlalert", "mlalert", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.commands.registerCommand("mlalert.restart", () => client.restart())
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
