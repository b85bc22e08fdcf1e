import { describe, expect, it } from 'vitest'
import {
  MAX_TEMPLATE_CHARS,
  parseTemplate,
  renderTemplate,
  type TemplateLimits,
} from '../../src/hooks/template'

function render(template: string, payload: unknown, limits?: TemplateLimits): string {
  const parsed = parseTemplate(template)
  if ('problem' in parsed) throw new Error(parsed.problem)
  return renderTemplate(parsed.parts, payload, limits)
}

function problem(template: string): string | undefined {
  const parsed = parseTemplate(template)
  return 'problem' in parsed ? parsed.problem : undefined
}

const issue = {
  action: 'opened',
  issue: {
    title: 'Crash on start',
    body: 'It crashes.',
    number: 7,
    locked: false,
    milestone: null,
  },
  labels: [{ name: 'bug' }, { name: 'p1' }],
}

describe('renderTemplate', () => {
  it('fills dotted paths, with or without spaces inside the braces', () => {
    expect(render('Summarise issue {{issue.title}}: {{ issue.body }}', issue)).toBe(
      'Summarise issue Crash on start: It crashes.'
    )
  })

  it('indexes arrays with numeric segments', () => {
    expect(render('{{labels.0.name}}/{{labels.1.name}}/{{labels.2.name}}', issue)).toBe('bug/p1/')
  })

  it('writes numbers and booleans as text, objects and arrays as JSON, null and missing as nothing', () => {
    expect(render('#{{issue.number}} {{issue.locked}}', issue)).toBe('#7 false')
    expect(render('{{labels}}', issue)).toBe('[{"name":"bug"},{"name":"p1"}]')
    expect(
      render('[{{issue.milestone}}][{{issue.nothing.deeper}}][{{action.length}}]', issue)
    ).toBe('[][][]')
  })

  it('reaches no prototype: only own properties of objects, only indexes of arrays', () => {
    expect(
      render('{{toString}}{{issue.hasOwnProperty}}{{labels.length}}{{labels.map}}', issue)
    ).toBe('')
    // JSON.parse makes "__proto__" an own property; the path is refused before any lookup.
    expect(problem('{{__proto__.polluted}}')).toMatch(/__proto__/)
    expect(problem('{{issue.constructor.name}}')).toMatch(/constructor/)
    expect(problem('{{a.prototype}}')).toMatch(/prototype/)
  })

  it('caps each inserted value and the whole prompt, marking the cut', () => {
    const payload = { long: 'x'.repeat(500), emoji: '😀'.repeat(10) }
    const limits = { valueChars: 100, promptChars: 150 }
    const value = render('{{long}}', payload, limits)
    expect(value).toHaveLength(100)
    expect(value.endsWith('…')).toBe(true)
    expect(render('{{long}}{{long}}{{long}}', payload, limits)).toHaveLength(150)
    // A surrogate pair is never split: the cut lands before it.
    const emoji = render('{{emoji}}', payload, { valueChars: 6, promptChars: 100 })
    expect(emoji).toBe('😀😀…')
  })

  it('never runs what a payload or a template contains', () => {
    const code = ['$', '{process.exit()}'].join('')
    const payload = { code, '{{nested}}': 'x', nested: '{{code}}' }
    expect(render('{{code}} {{nested}}', payload)).toBe(`${code} {{code}}`)
  })
})

describe('parseTemplate', () => {
  it('names the problem: unclosed, empty, not a path, too long, too many', () => {
    expect(problem('Hello {{issue.title')).toBe('the {{ at character 6 is never closed')
    expect(problem('{{ }}')).toBe('the placeholder at character 0 is empty')
    expect(problem('{{issue.title + 1}}')).toMatch(/not a dotted path/)
    expect(problem('{{issue..title}}')).toMatch(/not a dotted path/)
    expect(problem('x'.repeat(MAX_TEMPLATE_CHARS + 1))).toMatch(/longer than/)
    expect(problem('{{a}}'.repeat(101))).toMatch(/more than 100 placeholders/)
    expect(problem(`{{${Array(33).fill('a').join('.')}}}`)).toMatch(/more than 32 segments/)
  })

  it('keeps literal text, a lone }} included, and accepts a template with no placeholders', () => {
    expect(render('Just text }} here', {})).toBe('Just text }} here')
  })
})
