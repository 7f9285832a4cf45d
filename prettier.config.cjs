// prettier settings of OCA's oca-addons-repo-template (Odoo 18.0), used by the
// prettier hook of .pre-commit-config.yaml.
/** @type {import('prettier').Config} */
const config = {
  // A name alone is looked up from the repository, where the plugin is not:
  // resolve it from NODE_PATH, which pre-commit points at its node environment.
  plugins: [require.resolve("@prettier/plugin-xml")],
  bracketSpacing: false,
  printWidth: 88,
  proseWrap: "always",
  semi: true,
  trailingComma: "es5",
  xmlWhitespaceSensitivity: "preserve",
};

module.exports = config;
