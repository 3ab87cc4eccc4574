import { catalogue } from '../common/i18n.js';

/** The public page that checks a certificate of service. */
export const verifyStrings = catalogue(
  {
    title: '核验服务证明',
    valid: '这份服务证明真实有效',
    validBody: '它由本志愿服务平台签发，内容没有被改动过。证明上写的是：',
    invalid: '无法核验这份证明',
    invalidBody: '它不是本平台签发的，或者内容被改动过。请向出示证明的人核实。',
    missing: '请用手机扫描服务证明上的二维码打开这一页。',
    number: '证明编号',
    name: '志愿者',
    hours: '累计服务时长',
    hoursValue: (h: string) => `${h} 小时`,
    stars: '星级',
    starsValue: (n: number) => `${n} 星`,
    issued: '开具日期',
    programme: '志愿服务项目',
    offline: '离线核验：证明是 JWS（EdDSA 签名，typ 为 jifen-certificate+jwt），可用本服务 /.well-known/jwks.json 公布的证书公钥验证。',
  },
  {
    title: 'Check a certificate of service',
    valid: 'This certificate is genuine',
    validBody: 'It was issued by this volunteer programme and has not been changed. It says:',
    invalid: 'This certificate cannot be confirmed',
    invalidBody: 'It was not issued by this programme, or it has been changed. Ask the person who showed it.',
    missing: 'Scan the QR code on a certificate of service to open this page.',
    number: 'Certificate number',
    name: 'Volunteer',
    hours: 'Total service hours',
    hoursValue: (h: string) => `${h} hours`,
    stars: 'Star level',
    starsValue: (n: number) => `${n} star${n === 1 ? '' : 's'}`,
    issued: 'Issued',
    programme: 'Programme',
    offline: 'To check offline: the certificate is a JWS (EdDSA, typ jifen-certificate+jwt); verify it with the certificate keys published at /.well-known/jwks.json.',
  },
);
