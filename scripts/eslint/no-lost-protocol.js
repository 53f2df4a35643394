// @ts-check
/**
 * A protocol (src/disk/dual.ts) is a generator: calling one runs nothing until it is
 * driven (`yield*`, `runAsync`, `runSync`, `fork`…). A call left as a statement, or
 * awaited, is silently skipped, as a floating promise once was: this rule reports both.
 */
import { ESLintUtils } from '@typescript-eslint/utils';

/** @param {import('typescript').Type} type */
function isGenerator(type) {
  const name = type.getSymbol()?.getName() ?? type.aliasSymbol?.getName();
  if (name === 'Generator' || name === 'Dual') return true;
  return type.isUnion() && type.types.some(isGenerator);
}

export default ESLintUtils.RuleCreator.withoutDocs({
  meta: {
    type: 'problem',
    messages: {
      lost: 'A protocol (generator) called but never driven: use yield*, runAsync or runSync.',
    },
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    const services = ESLintUtils.getParserServices(context);
    const checker = services.program.getTypeChecker();
    /** @param {import('@typescript-eslint/utils').TSESTree.Node} node */
    const check = (node) => {
      const inner = node.type === 'AwaitExpression' ? node.argument : node;
      if (inner.type !== 'CallExpression') return;
      const type = checker.getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(inner));
      if (isGenerator(type)) context.report({ node, messageId: 'lost' });
    };
    return {
      ExpressionStatement(node) {
        if (node.expression.type !== 'AwaitExpression') check(node.expression);
      },
      AwaitExpression(node) {
        check(node);
      },
    };
  },
});
